package dev.krafter.relay.policy;

import static dev.krafter.relay.policy.PolicyHarness.FROM;
import static dev.krafter.relay.policy.PolicyHarness.emailId;
import static dev.krafter.relay.policy.PolicyHarness.records;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.apikey.ApiKeyStore;
import dev.krafter.relay.db.WireRoundTrips;
import dev.krafter.relay.db.TestDatabase;
import dev.krafter.relay.server.RelayFixture;
import dev.krafter.relay.server.SmtpsClient;

/**
 * A measurement, not a timing assertion: the time from the end of DATA (the client hands the
 * message and its final "." to the socket) to the relay's {@code 250} at 16 concurrent SMTPS connections
 * (reused, 10 KB messages, after a warm-up; also one connection, and one sandbox account), the throughput, and the database round trips per message as the relay's own pgjdbc sockets
 * see them ({@link WireRoundTrips}). The figures are printed (surefire output of this class) and
 * written to {@code target/policy-latency.txt}. What it asserts: every message got its 250 and its
 * email record, and the end-of-DATA hook stays within the round-trip budget of docs/architecture.md.
 *
 * <p>Run alone: {@code mvn -B -o verify -pl james-conf -Dtest=SubmissionLatencyMeasurementTest};
 * {@code -Dkrafter.measure.messages=N} sets the measured messages per connection (default 20; a third
 * of it for the sandbox account, twice it on the single connection).
 */
class SubmissionLatencyMeasurementTest {
    private static final int CONNECTIONS = 16;
    private static final int MESSAGES = Integer.getInteger("krafter.measure.messages", 20);
    private static final int SIZE = 10 * 1024;
    private static final String TO = "dev@acme.test";

    private static TestDatabase database;
    private static RelayFixture relay;
    private static DataSource db;
    private static ApiKeyStore keys;
    private static ExecutorService pool;
    private static final StringBuilder REPORT = new StringBuilder();

    @BeforeAll
    static void start() throws Exception {
        // The relay's pool gets the counting socket factory: this database's URL is known before the start.
        database = TestDatabase.create();
        relay = RelayFixture.start(Map.of(
            "KRAFTER_DB_URL", database.url() + "?socketFactory=" + WireRoundTrips.class.getName(),
            "KRAFTER_DB_USER", database.user(),
            "KRAFTER_DB_PASSWORD", database.password()));
        db = database.database().dataSource();
        keys = new ApiKeyStore(db, Duration.ZERO);
        pool = Executors.newFixedThreadPool(CONNECTIONS);
    }

    @AfterAll
    static void stop() throws Exception {
        pool.shutdownNow();
        try {
            relay.close();
        } finally {
            database.close();
        }
        Path report = TestDatabase.repositoryRoot().resolve("james-conf/target/policy-latency.txt");
        Files.createDirectories(report.getParent());
        Files.writeString(report, REPORT.toString());
    }

    private record Sent(UUID id, long endOfDataToReplyNanos) {
    }

    /** One connection's sends: MAIL, RCPT, DATA, the body; the clock runs from writing the body and "." to the 250. */
    private static List<Sent> sendAll(SmtpsClient smtp, byte[] body, int count) throws Exception {
        List<Sent> sent = new ArrayList<>(count);
        byte[] bodyAndDot = new byte[body.length + 3];
        System.arraycopy(body, 0, bodyAndDot, 0, body.length);
        System.arraycopy(".\r\n".getBytes(StandardCharsets.US_ASCII), 0, bodyAndDot, body.length, 3);
        int idAt = new String(bodyAndDot, StandardCharsets.US_ASCII).indexOf("Message-ID: <") + "Message-ID: <".length();
        for (int i = 0; i < count; i++) {
            // A Message-ID of its own for every send (the UUID's place, same length): the same one again is a resend.
            System.arraycopy(UUID.randomUUID().toString().getBytes(StandardCharsets.US_ASCII), 0, bodyAndDot, idAt, 36);
            assertThat(smtp.command("MAIL FROM:<" + FROM + ">")).startsWith("250");
            assertThat(smtp.command("RCPT TO:<" + TO + ">")).startsWith("250");
            assertThat(smtp.command("DATA")).startsWith("354");
            // Body and "." in one write: written separately, the small "." segment would wait for the
            // body's ACK (Nagle on the client socket, delayed ACK on loopback: up to 40 ms of client artefact).
            // Uploading 10 KB over loopback takes well under a millisecond.
            long t0 = System.nanoTime();
            smtp.write(bodyAndDot);
            String reply = smtp.reply();
            long t1 = System.nanoTime();
            sent.add(new Sent(emailId(reply), t1 - t0));
        }
        return sent;
    }

    private static List<Sent> phase(List<SmtpsClient> clients, byte[] body, int perConnection) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<List<Sent>>> futures = new ArrayList<>();
        for (SmtpsClient smtp : clients) {
            futures.add(pool.submit(() -> {
                go.await();
                return sendAll(smtp, body, perConnection);
            }));
        }
        go.countDown();
        List<Sent> all = new ArrayList<>();
        for (Future<List<Sent>> f : futures) {
            all.addAll(f.get(5, TimeUnit.MINUTES));
        }
        return all;
    }

    /**
     * {@code connections} logged-in connections send {@code warmUpEach} messages each, then, measured,
     * {@code messages} each; all connections run at once, each sends one message after the other.
     */
    private static void measure(String label, String account, String key, int connections, int warmUpEach, int messages,
                                int roundTrips)
        throws Exception {
        byte[] body = PolicyHarness.messageOfSize("latency " + label, SIZE);
        assertThat(new String(body, StandardCharsets.US_ASCII)).doesNotContain("\n.").endsWith("\r\n");
        List<SmtpsClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < connections; i++) {
                clients.add(relay.connect().login(key));
            }
            List<Sent> warmUp = phase(clients, body, warmUpEach);

            long smtpBefore = WireRoundTrips.smtp();
            long otherBefore = WireRoundTrips.other();
            long start = System.nanoTime();
            List<Sent> measured = phase(clients, body, messages);
            long wall = System.nanoTime() - start;
            long smtpTrips = WireRoundTrips.smtp() - smtpBefore;
            long otherTrips = WireRoundTrips.other() - otherBefore;

            Set<UUID> ids = new HashSet<>();
            warmUp.forEach(s -> ids.add(s.id()));
            measured.forEach(s -> ids.add(s.id()));
            int total = connections * (warmUpEach + messages);
            assertThat(ids).hasSize(total);
            assertThat(records(db, account)).isEqualTo(total);
            assertThat(measured).hasSize(connections * messages);

            long[] nanos = measured.stream().mapToLong(Sent::endOfDataToReplyNanos).sorted().toArray();
            double perMessage = (double) smtpTrips / measured.size();
            String line = String.format(Locale.ROOT,
                "%s: %d connections x %d messages of %d octets after %d warm-up each: end of DATA -> 250 "
                    + "p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms; %.0f msgs/s; "
                    + "database round trips on the SMTP threads %.2f per message (%d), other threads %d",
                label, connections, messages, body.length, warmUpEach,
                millis(percentile(nanos, 50)), millis(percentile(nanos, 90)), millis(percentile(nanos, 99)),
                millis(nanos[nanos.length - 1]), measured.size() / (wall / 1e9), perMessage, smtpTrips, otherTrips);
            System.out.println(line);
            REPORT.append(line).append('\n');
            // EmailRecords: 1 round trip per accepted message (an auto-committed INSERT), 2 for a sandbox
            // account (the locking batch, COMMIT); a rare pool validation query may add one.
            assertThat(perMessage).as(line).isBetween((double) roundTrips, roundTrips + 0.2);
        } finally {
            for (SmtpsClient smtp : clients) {
                smtp.close();
            }
        }
    }

    @Test
    void ordinaryAccount() throws Exception {
        String key = keys.create("latency", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional"), false).secret().value();
        measure("ordinary account", "latency", key, CONNECTIONS, 5, MESSAGES, 1);
    }

    @Test
    void ordinaryAccountOnOneConnection() throws Exception {
        // the baseline without contention: one connection, one message at a time
        String key = keys.create("latency-single", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional"), false).secret().value();
        measure("one connection", "latency-single", key, 1, 10, 2 * MESSAGES, 1);
    }

    @Test
    void oneSandboxAccountOnAllSixteenConnections() throws Exception {
        // every send of the account takes its row lock: the 16 connections queue on one row
        keys.setSandbox("latency-sandbox", new ApiKey.Sandbox(true, Set.of(TO), 1_000_000));
        String key = keys.create("latency-sandbox", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional"), true).secret().value();
        measure("one sandbox account", "latency-sandbox", key, CONNECTIONS, 3, Math.max(5, MESSAGES / 3), 2);
    }

    private static long percentile(long[] sorted, int p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    private static double millis(long nanos) {
        return nanos / 1e6;
    }
}
