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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;

import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.apikey.ApiKeyStore;
import dev.krafter.relay.db.TestDatabase;
import dev.krafter.relay.server.QueueTables;
import dev.krafter.relay.server.RelayHome;
import dev.krafter.relay.server.RelayProcess;
import dev.krafter.relay.server.SmtpsClient;
import dev.krafter.relay.ses.SesStandIn;

/**
 * One node dies for good, the other delivers its mail: two relay processes (own home, node id
 * node-a and node-b) on one database, a 5 s queue lease. SES answers 503 (slowly, so node A's
 * spooler threads are in SES calls, holding leases, when it dies) while 200 messages are accepted,
 * 100 through each node. Node A is killed with SIGKILL and never started again; SES comes back.
 * Node B must deliver all 200, each exactly once (counted by email id at the SES stand-in), take
 * the mail node A held only once A's leases have expired, and leave no queue row and every record
 * {@code sent}.
 */
class TwoNodesTest {
    private static final int PER_NODE = 100;
    private static final int CONNECTIONS_PER_NODE = 4;
    private static final Duration LEASE = Duration.ofSeconds(5);

    @Test
    void whenANodeDiesForGoodTheOtherDeliversAllItsMailOnceAfterTheLeasesExpire() throws Exception {
        try (SesStandIn ses = SesStandIn.accepting(); TestDatabase database = TestDatabase.create()) {
            DataSource db = database.database().dataSource();
            ses.fail(503, "ServiceUnavailable", "Service unavailable", Duration.ofMillis(200));
            Map<String, String> shared = new HashMap<>(ses.relayEnv());
            shared.putAll(Map.of("KRAFTER_DB_URL", database.url(), "KRAFTER_DB_USER", database.user(),
                "KRAFTER_DB_PASSWORD", database.password(), "KRAFTER_QUEUE_LEASE_SECONDS", String.valueOf(LEASE.toSeconds()),
                "KRAFTER_SES_RETRY_INITIAL_DELAY", "1s", "KRAFTER_SES_RETRY_MAX_DELAY", "2s", "KRAFTER_SES_MAX_RETRIES", "100"));
            String key = new ApiKeyStore(db, Duration.ZERO)
                .create("two-nodes", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional"), false).secret().value();

            Map<String, String> envA = new HashMap<>(shared);
            envA.put("KRAFTER_NODE_ID", "node-a");
            Map<String, String> envB = new HashMap<>(shared);
            envB.put("KRAFTER_NODE_ID", "node-b");
            try (RelayHome homeA = new RelayHome(envA); RelayHome homeB = new RelayHome(envB)) {
                // one after the other: two JVMs starting at once on a busy 2-core machine are slow
                RelayProcess a = RelayProcess.start(homeA.env());
                try (RelayProcess b = RelayProcess.start(homeB.env())) {
                    ExecutorService pool = Executors.newFixedThreadPool(2 * CONNECTIONS_PER_NODE);
                    List<Future<List<String>>> sends = new ArrayList<>();
                    try {
                        for (int c = 0; c < CONNECTIONS_PER_NODE; c++) {
                            sends.add(pool.submit(() -> send(a.port(), homeA.path().resolve("var/tls/cert.pem"), key, "a")));
                            sends.add(pool.submit(() -> send(b.port(), homeB.path().resolve("var/tls/cert.pem"), key, "b")));
                        }
                        List<String> accepted = new ArrayList<>();
                        for (Future<List<String>> s : sends) {
                            accepted.addAll(s.get(120, TimeUnit.SECONDS));
                        }
                        assertThat(accepted).hasSize(2 * PER_NODE).doesNotHaveDuplicates();

                        // Every message has been tried (and refused) at least once: each is a retry in the queue.
                        ses.await(calls -> calls.stream().map(SesStandIn.Call::emailId).collect(Collectors.toSet()).containsAll(accepted),
                            Duration.ofSeconds(60));
                        a.kill9();
                        // After the process is gone: a call node A made while SIGKILL was on its way is not node B's.
                        Instant killedAt = Instant.now();
                        // What node A held when it died: leased, the lease not yet expired.
                        Map<String, Instant> heldByA = leases(db, "node-a");
                        ses.accept();
                        Instant sesBack = Instant.now();

                        List<SesStandIn.Call> calls;
                        try {
                            calls = ses.await(c -> delivered(c).keySet().containsAll(accepted), Duration.ofSeconds(90));
                        } catch (AssertionError e) {
                            String log = b.log();
                            throw new AssertionError(e.getMessage() + "; node B's log ends:\n"
                                + log.substring(Math.max(0, log.length() - 6000)) + "\n" + stateOfTheStall(db, b), e);
                        }
                        Instant allDelivered = calls.stream().filter(SesStandIn.Call::accepted).map(SesStandIn.Call::at)
                            .max(Instant::compareTo).orElseThrow();
                        Map<String, Long> deliveries = delivered(calls);
                        List<String> twice = accepted.stream().filter(id -> deliveries.get(id) > 1).toList();
                        List<Long> takeover = new ArrayList<>();
                        List<String> takenEarly = new ArrayList<>();
                        for (Map.Entry<String, Instant> held : heldByA.entrySet()) {
                            Instant firstCall = calls.stream().filter(c -> c.emailId().equals(held.getKey()) && c.at().isAfter(killedAt))
                                .map(SesStandIn.Call::at).findFirst().orElseThrow();
                            takeover.add(Duration.between(killedAt, firstCall).toMillis());
                            if (firstCall.isBefore(held.getValue())) {
                                takenEarly.add(held.getKey() + " at " + firstCall + ", lease until " + held.getValue());
                            }
                        }
                        takeover.sort(Long::compareTo);
                        Instant othersDelivered = calls.stream().filter(c -> c.accepted() && !heldByA.containsKey(c.emailId()))
                            .map(SesStandIn.Call::at).max(Instant::compareTo).orElseThrow();
                        System.out.printf("two nodes, node A killed for good: %d accepted (%d by each node); node A held %d leased"
                                + " mail(s) when killed, taken over by node B %s ms after the kill (lease %d s); node B delivered"
                                + " all %d in %d ms after SES came back (the %d others in %d ms); %d delivered twice%n",
                            accepted.size(), PER_NODE, heldByA.size(), takeover, LEASE.toSeconds(), accepted.size(),
                            Duration.between(sesBack, allDelivered).toMillis(), accepted.size() - heldByA.size(),
                            Duration.between(sesBack, othersDelivered).toMillis(), twice.size());

                        assertThat(twice).as("delivered more than once").isEmpty();
                        assertThat(calls.stream().filter(SesStandIn.Call::accepted)).as("delivered by node B, after the kill")
                            .allMatch(c -> c.at().isAfter(killedAt));
                        assertThat(takenEarly).as("mail of node A's taken before its lease expired").isEmpty();
                        assertThat(QueueTables.assertDrained(db, accepted)).as("records, one per 250").hasSize(accepted.size());
                    } finally {
                        pool.shutdownNow();
                    }
                } finally {
                    a.kill9();
                }
            }
        }
    }

    private static List<String> send(int port, Path cert, String key, String node) throws Exception {
        List<String> ids = new ArrayList<>();
        try (SmtpsClient smtp = SmtpsClient.connect(port, cert).login(key)) {
            for (int i = 0; i < PER_NODE / CONNECTIONS_PER_NODE; i++) {
                String reply = smtp.send("nodes@yourdomain.com", List.of("rcpt@example.com"),
                    ("Subject: via node " + node + " " + i + "\r\n\r\n" + "x".repeat(1000) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                assertThat(reply).startsWith("250 2.0.0 OK id=");
                ids.add(reply.substring(reply.indexOf("id=") + 3).trim());
            }
        }
        return ids;
    }

    private static Map<String, Long> delivered(List<SesStandIn.Call> calls) {
        return calls.stream().filter(SesStandIn.Call::accepted)
            .collect(Collectors.groupingBy(SesStandIn.Call::emailId, Collectors.counting()));
    }

    /**
     * What a stalled delivery leaves to look at: the queue rows by owner and readiness, the database's
     * sessions and what they wait on, and node B's threads.
     */
    private static String stateOfTheStall(DataSource db, RelayProcess b) {
        StringBuilder state = new StringBuilder();
        try (Connection c = db.getConnection()) {
            state.append(rows(c, "queue rows (owner, leased, ready, count)", """
                SELECT coalesce(lease_owner, '-'), lease_until > now(), next_attempt <= now(), count(*)
                  FROM mail_queue GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"""));
            state.append(rows(c, "sessions (application, state, wait, query)", """
                SELECT application_name, state, coalesce(wait_event_type || ':' || wait_event, '-'), left(query, 120)
                  FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"""));
        } catch (Exception e) {
            state.append("database state unreadable: ").append(e).append('\n');
        }
        try {
            Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                String.valueOf(b.pid()), "Thread.print").redirectErrorStream(true).start();
            String threads = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            state.append("node B's threads:\n").append(threads, 0, Math.min(threads.length(), 20_000));
        } catch (Exception e) {
            state.append("node B's threads unreadable: ").append(e).append('\n');
        }
        return state.toString();
    }

    private static String rows(Connection c, String title, String sql) throws Exception {
        StringBuilder out = new StringBuilder(title).append(":\n");
        try (PreparedStatement s = c.prepareStatement(sql); ResultSet rs = s.executeQuery()) {
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                for (int i = 1; i <= columns; i++) {
                    out.append(i == 1 ? "  " : " | ").append(rs.getString(i));
                }
                out.append('\n');
            }
        }
        return out.toString();
    }

    /** Email id → lease end of the rows {@code node} holds on a live lease. */
    private static Map<String, Instant> leases(DataSource db, String node) throws Exception {
        Map<String, Instant> leases = new HashMap<>();
        try (Connection c = db.getConnection();
             PreparedStatement s = c.prepareStatement(
                 "SELECT email_id::text, lease_until FROM mail_queue WHERE lease_owner = ? AND lease_until > now()")) {
            s.setString(1, node);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    leases.put(rs.getString(1), rs.getTimestamp(2).toInstant());
                }
            }
        }
        return leases;
    }
}
