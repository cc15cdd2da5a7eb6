package dev.krafter.relay.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;

import dev.krafter.relay.server.QueueTables;
import dev.krafter.relay.server.RelayHome;
import dev.krafter.relay.server.RelayProcess;
import dev.krafter.relay.server.SmtpsClient;
import dev.krafter.relay.ses.SesStandIn;

/**
 * When a retry runs: (1) a retry's backoff is never cut short — after SES answers 503, the next
 * SendEmail call for that email id reaches the SES stand-in no earlier than the delay the relay
 * chose (its log line "retry n/m in …"), and that delay is at least half the nominal one, as
 * RetrySchedule promises; (2) 1,000 mails waiting for their retry (a 10-minute backoff) do not hold
 * up fresh mail: its time from the 250 to its SES call stays under 5 s.
 */
class RetryTimingTest {
    private static final Pattern RETRY = Pattern.compile("email ([0-9a-f-]{36}): retry (\\d+)/\\d+ in (PT[0-9.]+S)");

    @Test
    void theNextSesCallForAnEmailComesNoEarlierThanItsRetryDelay() throws Exception {
        Duration initial = Duration.ofSeconds(3);
        try (SesStandIn ses = SesStandIn.accepting(); RelayHome home = new RelayHome(Map.of())) {
            ses.fail(503, "ServiceUnavailable", "Service unavailable");
            Map<String, String> env = KillNineTest.env(home, ses);
            env.putAll(Map.of("KRAFTER_SES_RETRY_INITIAL_DELAY", "3s", "KRAFTER_SES_RETRY_MAX_DELAY", "6s",
                "KRAFTER_SES_MAX_RETRIES", "2"));
            DataSource db = home.database().database().dataSource();
            String key = KillNineTest.key(home);
            try (RelayProcess relay = RelayProcess.start(env)) {
                List<String> ids = new ArrayList<>();
                try (SmtpsClient smtp = SmtpsClient.connect(relay.port(), home.path().resolve("var/tls/cert.pem")).login(key)) {
                    for (int i = 0; i < 3; i++) {
                        ids.add(id(smtp.send("retry@yourdomain.com", List.of("rcpt@example.com"), message("backoff " + i, 200))));
                    }
                }
                // Two retries, then the record is failed: 3 attempts, at most 3 + 6 s apart (plus the poll).
                awaitStatus(db, ids, "failed", Duration.ofSeconds(40));

                Map<String, Map<Integer, Duration>> delays = chosenDelays(relay.log());
                List<String> early = new ArrayList<>();
                List<String> figures = new ArrayList<>();
                for (String id : ids) {
                    List<Instant> calls = ses.callsFor(id).stream().map(SesStandIn.Call::at).sorted().toList();
                    List<Long> gaps = attemptGaps(calls, 2);
                    for (int retry = 1; retry <= 2; retry++) {
                        Duration chosen = delays.getOrDefault(id, Map.of()).get(retry);
                        assertThat(chosen).as("log line of retry %d of %s", retry, id).isNotNull();
                        long observed = gaps.get(retry - 1);
                        figures.add(String.format("retry %d: chosen %d ms, observed %d ms (+%d)", retry, chosen.toMillis(),
                            observed, observed - chosen.toMillis()));
                        Duration floor = initial.multipliedBy(1L << (retry - 1)).dividedBy(2);
                        if (observed < chosen.toMillis() || chosen.compareTo(floor) < 0) {
                            early.add(id + " retry " + retry + ": chosen " + chosen + " (floor " + floor + "), observed " + observed + " ms");
                        }
                    }
                }
                System.out.println("retry backoff (initial 3 s, max 6 s), SES call to next SES call of the same email: " + figures);
                assertThat(early).as("retries taken before their delay").isEmpty();
                assertThat(QueueTables.queueRows(db)).as("queue rows left after the last retry").isZero();
            }
        }
    }

    @Test
    void aThousandWaitingRetriesDoNotDelayFreshMail() throws Exception {
        int waiting = 1000;
        try (SesStandIn ses = SesStandIn.accepting(); RelayHome home = new RelayHome(Map.of())) {
            ses.fail(503, "ServiceUnavailable", "Service unavailable");
            Map<String, String> env = KillNineTest.env(home, ses);
            env.putAll(Map.of("KRAFTER_SES_RETRY_INITIAL_DELAY", "10m", "KRAFTER_SES_RETRY_MAX_DELAY", "10m"));
            DataSource db = home.database().database().dataSource();
            String key = KillNineTest.key(home);
            Path cert = home.path().resolve("var/tls/cert.pem");
            try (RelayProcess relay = RelayProcess.start(env)) {
                long t0 = System.nanoTime();
                ExecutorService pool = Executors.newFixedThreadPool(8);
                List<String> retrying = new ArrayList<>();
                try {
                    List<Future<List<String>>> sends = IntStream.range(0, 8).mapToObj(c -> pool.submit(() -> {
                        List<String> ids = new ArrayList<>();
                        try (SmtpsClient smtp = SmtpsClient.connect(relay.port(), cert).login(key)) {
                            for (int i = 0; i < waiting / 8; i++) {
                                ids.add(id(smtp.send("retry@yourdomain.com", List.of("rcpt@example.com"), message("wait " + c + "-" + i, 20))));
                            }
                        }
                        return ids;
                    })).toList();
                    for (Future<List<String>> s : sends) {
                        retrying.addAll(s.get(120, TimeUnit.SECONDS));
                    }
                } finally {
                    pool.shutdownNow();
                }
                long sentMillis = (System.nanoTime() - t0) / 1_000_000;
                // Every one tried once and back in the queue, due in 5 to 10 minutes, leased by nobody.
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
                while (waitingRows(db) < waiting && System.nanoTime() < deadline) {
                    Thread.sleep(250);
                }
                assertThat(waitingRows(db)).as("mails waiting for their retry").isEqualTo(waiting);
                long waitingMillis = (System.nanoTime() - t0) / 1_000_000;

                ses.accept();
                Instant sesBack = Instant.now();
                Map<String, Instant> answered = new HashMap<>();
                try (SmtpsClient smtp = SmtpsClient.connect(relay.port(), cert).login(key)) {
                    for (int i = 0; i < 20; i++) {
                        String reply = smtp.send("fresh@yourdomain.com", List.of("rcpt@example.com"), message("fresh " + i, 20));
                        answered.put(id(reply), Instant.now());
                        Thread.sleep(100);
                    }
                }
                List<SesStandIn.Call> calls = ses.await(c -> c.stream().filter(SesStandIn.Call::accepted).map(SesStandIn.Call::emailId)
                    .collect(Collectors.toSet()).containsAll(answered.keySet()), Duration.ofSeconds(60));
                List<Long> latencies = answered.entrySet().stream()
                    .map(e -> Duration.between(e.getValue(), calls.stream()
                        .filter(c -> c.emailId().equals(e.getKey())).findFirst().orElseThrow().at()).toMillis())
                    .sorted().toList();
                Set<String> waitingIds = Set.copyOf(retrying);
                long retriedEarly = calls.stream().filter(c -> waitingIds.contains(c.emailId()) && c.at().isAfter(sesBack)).count();
                System.out.printf("fresh mail with %d retries waiting: 250 to SES call min %d ms, median %d ms, max %d ms"
                        + " (20 messages); the %d were accepted in %d ms and all waiting after %d ms; SES calls for them"
                        + " since: %d%n",
                    waiting, latencies.get(0), latencies.get(latencies.size() / 2), latencies.get(latencies.size() - 1),
                    waiting, sentMillis, waitingMillis, retriedEarly);
                assertThat(latencies.get(latencies.size() - 1)).as("slowest fresh mail, 250 to SES call, ms").isLessThan(5000L);
                assertThat(retriedEarly).as("SES calls for mail whose retry is not due").isZero();
                awaitStatus(db, List.copyOf(answered.keySet()), "sent", Duration.ofSeconds(30));
                assertThat(QueueTables.queueRows(db)).as("queue rows: the waiting retries only").isEqualTo(waiting);
            }
        }
    }

    /**
     * The gaps between the attempts in {@code calls} (one attempt may be several SendEmail calls,
     * the SDK's own quick retry): the {@code retries} largest gaps, in call order.
     */
    private static List<Long> attemptGaps(List<Instant> calls, int retries) {
        List<int[]> gaps = new ArrayList<>();
        for (int i = 1; i < calls.size(); i++) {
            gaps.add(new int[] {i, (int) Duration.between(calls.get(i - 1), calls.get(i)).toMillis()});
        }
        assertThat(gaps.size()).as("SES calls %s", calls).isGreaterThanOrEqualTo(retries);
        return gaps.stream().sorted(Comparator.comparingInt((int[] g) -> g[1]).reversed()).limit(retries)
            .sorted(Comparator.comparingInt((int[] g) -> g[0])).map(g -> (long) g[1]).toList();
    }

    /** Email id → retry number → the delay the relay logged for it. */
    private static Map<String, Map<Integer, Duration>> chosenDelays(String log) {
        Map<String, Map<Integer, Duration>> delays = new HashMap<>();
        Matcher m = RETRY.matcher(log);
        while (m.find()) {
            delays.computeIfAbsent(m.group(1), id -> new HashMap<>()).put(Integer.parseInt(m.group(2)), Duration.parse(m.group(3)));
        }
        return delays;
    }

    private static void awaitStatus(DataSource db, List<String> ids, String status, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, String> statuses = QueueTables.statuses(db);
        while (!ids.stream().allMatch(id -> status.equals(statuses.get(id))) && System.nanoTime() < deadline) {
            Thread.sleep(200);
            statuses.putAll(QueueTables.statuses(db));
        }
        assertThat(ids).as("records %s", status).allMatch(id -> status.equals(statuses.get(id)));
    }

    private static long waitingRows(DataSource db) throws Exception {
        try (Connection c = db.getConnection();
             PreparedStatement s = c.prepareStatement(
                 "SELECT count(*) FROM mail_queue WHERE next_attempt > now() + interval '4 minutes' AND lease_owner IS NULL");
             ResultSet rs = s.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static byte[] message(String subject, int lines) {
        return ("Subject: " + subject + "\r\n\r\n" + ("x".repeat(76) + "\r\n").repeat(lines)).getBytes(StandardCharsets.US_ASCII);
    }

    private static String id(String reply) {
        assertThat(reply).startsWith("250 2.0.0 OK id=");
        return reply.substring(reply.indexOf("id=") + 3).trim();
    }
}
