package dev.krafter.relay.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.apikey.ApiKeyStore;
import dev.krafter.relay.server.QueueTables;
import dev.krafter.relay.server.RelayHome;
import dev.krafter.relay.server.RelayProcess;
import dev.krafter.relay.server.SmtpsClient;
import dev.krafter.relay.ses.SesStandIn;

/**
 * Nothing lost: the relay is a separate process, killed with SIGKILL while 16 senders send, started
 * again on the same home and database. Every message that got a 250 must reach SES afterwards
 * (counted by email id at the SES stand-in), and once: with SES down at the kill, strictly; with SES
 * accepting, a second delivery is allowed only for a message that SES had accepted but whose record
 * was not yet marked sent when the process died (no SendEmail call can be made idempotent; the test
 * counts and prints them). Afterwards no queue row is left and every record is {@code sent}.
 */
class KillNineTest {
    private static final int SENDERS = 16;

    @Test
    void killedUnderLoadOf16SendersWhileSesIsDownEveryMessageThatGot250IsDeliveredOnce() throws Exception {
        try (SesStandIn ses = SesStandIn.accepting(); RelayHome home = new RelayHome(Map.of("KRAFTER_SES_MAX_RETRIES", "100"))) {
            ses.fail(503, "ServiceUnavailable", "Service unavailable");
            Killed killed = killUnderLoad(home, ses, 6);
            assertThat(killed.sentBeforeKill()).as("accepted by SES before the kill").isEmpty();

            ses.accept();
            try (RelayProcess restarted = RelayProcess.start(env(home, ses))) {
                Map<String, Long> deliveries = awaitDelivered(ses, killed.got250());
                List<String> twice = twice(killed.got250(), deliveries);
                System.out.printf("kill -9 under %d senders, SES down: killed after %d ms of load; %d answered 250 (%d tried at"
                        + " SES before the kill), %d delivered after the restart, %d lost, %d delivered twice%n",
                    SENDERS, killed.loadMillis(), killed.got250().size(), killed.triedBeforeKill(), deliveries.size(),
                    lost(killed.got250(), deliveries), twice.size());
                assertThat(lost(killed.got250(), deliveries)).as("250s not delivered").isZero();
                assertThat(twice).as("delivered more than once").isEmpty();
                QueueTables.assertDrained(home.database().database().dataSource(), killed.got250());
            }
        }
    }

    @Test
    void killedUnderLoadOf16SendersEveryMessageThatGot250IsDelivered() throws Exception {
        try (SesStandIn ses = SesStandIn.accepting(); RelayHome home = new RelayHome(Map.of())) {
            Killed killed = killUnderLoad(home, ses, 20);
            // Handed to SES (a 200 at the stand-in) but not yet marked sent when the process died: the
            // kill fell between SES's answer and the commit that ends the mail.
            Map<String, String> statusAtKill = QueueTables.statuses(home.database().database().dataSource());
            Set<String> inTheWindow = killed.sentBeforeKill().stream().filter(id -> !"sent".equals(statusAtKill.get(id)))
                .collect(Collectors.toSet());

            try (RelayProcess restarted = RelayProcess.start(env(home, ses))) {
                Map<String, Long> deliveries = awaitDelivered(ses, killed.got250());
                List<String> twice = twice(killed.got250(), deliveries);
                System.out.printf("kill -9 under %d senders, SES accepting: killed after %d ms of load; %d answered 250, %d delivered, %d lost,"
                        + " %d delivered twice; %d delivered before the kill, %d of them sent to SES but not yet marked sent"
                        + " at the kill%n",
                    SENDERS, killed.loadMillis(), killed.got250().size(), killed.got250().stream().filter(deliveries::containsKey).count(),
                    lost(killed.got250(), deliveries), twice.size(), killed.sentBeforeKill().size(), inTheWindow.size());
                assertThat(lost(killed.got250(), deliveries)).as("250s not delivered").isZero();
                assertThat(twice).as("delivered twice though marked sent before the kill, or delivered twice after it")
                    .allMatch(inTheWindow::contains)
                    .allMatch(id -> deliveries.get(id) == 2);
                QueueTables.assertDrained(home.database().database().dataSource(), killed.got250());
            }
        }
    }

    /**
     * What the test saw up to the kill: the ids answered 250, the ids SES accepted, how many ids SES
     * was asked for, how long the load ran.
     */
    private record Killed(List<String> got250, Set<String> sentBeforeKill, long triedBeforeKill, long loadMillis) {
    }

    /**
     * 16 senders on their own connections until 400 got a 250 and the relay made {@code sesCalls}
     * SES calls; then SIGKILL.
     */
    private static Killed killUnderLoad(RelayHome home, SesStandIn ses, int sesCalls) throws Exception {
        String key = key(home);
        Path cert = home.path().resolve("var/tls/cert.pem");
        List<String> accepted = Collections.synchronizedList(new ArrayList<>());
        RelayProcess relay = RelayProcess.start(env(home, ses));
        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService senders = Executors.newFixedThreadPool(SENDERS);
        long loadStart = System.nanoTime();
        long loadMillis;
        try {
            for (int t = 0; t < SENDERS; t++) {
                int sender = t;
                senders.submit(() -> {
                    try (SmtpsClient smtp = SmtpsClient.connect(relay.port(), cert).login(key)) {
                        for (int n = 0; running.get() && n < 200; n++) {
                            String reply = smtp.send("load@yourdomain.com", List.of("rcpt@example.com"),
                                ("Subject: load " + sender + "-" + n + "\r\n\r\n" + "x".repeat(2000) + "\r\n")
                                    .getBytes(StandardCharsets.US_ASCII));
                            if (reply.startsWith("250")) {
                                accepted.add(reply.substring(reply.indexOf("id=") + 3).trim());
                            }
                        }
                    } catch (Exception e) {
                        // the kill cuts connections mid-transaction: those messages never got a 250
                    }
                    return null;
                });
            }
            // Load first (400 answered 250), then the kill while the spooler works (SES called).
            ses.await(c -> c.size() >= sesCalls && accepted.size() >= 400, Duration.ofSeconds(60));
        } finally {
            loadMillis = (System.nanoTime() - loadStart) / 1_000_000;
            relay.kill9();
            running.set(false);
            senders.shutdown();
        }
        assertThat(senders.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        List<String> got250 = List.copyOf(accepted);
        assertThat(got250).isNotEmpty();
        List<SesStandIn.Call> calls = ses.calls();
        return new Killed(got250, deliveredIds(calls), calls.stream().map(SesStandIn.Call::emailId).distinct().count(),
            loadMillis);
    }

    private static Map<String, Long> awaitDelivered(SesStandIn ses, List<String> ids) throws InterruptedException {
        return ses.await(c -> deliveredIds(c).containsAll(ids), Duration.ofSeconds(120)).stream().filter(SesStandIn.Call::accepted)
            .collect(Collectors.groupingBy(SesStandIn.Call::emailId, Collectors.counting()));
    }

    private static List<String> twice(List<String> ids, Map<String, Long> deliveries) {
        return ids.stream().filter(id -> deliveries.getOrDefault(id, 0L) > 1).toList();
    }

    private static long lost(List<String> ids, Map<String, Long> deliveries) {
        return ids.stream().filter(id -> !deliveries.containsKey(id)).count();
    }

    private static Set<String> deliveredIds(List<SesStandIn.Call> calls) {
        return calls.stream().filter(SesStandIn.Call::accepted).map(SesStandIn.Call::emailId).collect(Collectors.toSet());
    }

    static Map<String, String> env(RelayHome home, SesStandIn ses) {
        Map<String, String> env = new java.util.HashMap<>(ses.relayEnv());
        env.putAll(home.env());
        return env;
    }

    static String key(RelayHome home) {
        return new ApiKeyStore(home.database().database().dataSource(), Duration.ZERO)
            .create("acme", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional", "broadcast"), false).secret().value();
    }
}
