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
import dev.krafter.relay.server.RelayHome;
import dev.krafter.relay.server.RelayProcess;
import dev.krafter.relay.server.SmtpsClient;

/**
 * Nothing lost: the relay is a separate process, killed with SIGKILL, started again on the same
 * home (queue store) and database. Every message that got a 250 must reach SES afterwards.
 */
class KillNineTest {

    @Test
    void messagesAcceptedWhileSesIsDownAreDeliveredOnceAfterKillAndRestart() throws Exception {
        try (SesStub ses = new SesStub(); RelayHome home = new RelayHome(Map.of())) {
            ses.fail(503, "ServiceUnavailable", "Service unavailable");
            Map<String, String> env = env(home, ses);
            String key = key(home);
            List<String> accepted;
            RelayProcess relay = RelayProcess.start(env);
            try {
                accepted = sendSequentially(relay.port(), home.path().resolve("var/tls/cert.pem"), key, 12);
                // Each message has been tried at least once: it sits in the queue as a delayed retry.
                ses.await(calls -> calls.stream().map(SesStub.Call::emailId).collect(Collectors.toSet()).containsAll(accepted),
                    Duration.ofSeconds(60));
            } finally {
                relay.kill9();
            }

            ses.accept();
            try (RelayProcess restarted = RelayProcess.start(env)) {
                List<SesStub.Call> calls = ses.await(c -> deliveredIds(c).containsAll(accepted), Duration.ofSeconds(90));
                for (String id : accepted) {
                    assertThat(calls.stream().filter(c -> c.emailId().equals(id) && c.accepted())).as(id).hasSize(1);
                }
            }
        }
    }

    @Test
    void killedUnderLoadOf16SendersEveryMessageThatGot250IsDelivered() throws Exception {
        try (SesStub ses = new SesStub(); RelayHome home = new RelayHome(Map.of())) {
            Map<String, String> env = env(home, ses);
            String key = key(home);
            Path cert = home.path().resolve("var/tls/cert.pem");
            List<String> accepted = Collections.synchronizedList(new ArrayList<>());
            RelayProcess relay = RelayProcess.start(env);
            AtomicBoolean running = new AtomicBoolean(true);
            ExecutorService senders = Executors.newFixedThreadPool(16);
            for (int t = 0; t < 16; t++) {
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
            ses.await(c -> c.size() >= 40, Duration.ofSeconds(60));
            relay.kill9();
            running.set(false);
            senders.shutdown();
            assertThat(senders.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
            List<String> got250 = List.copyOf(accepted);
            assertThat(got250).isNotEmpty();

            try (RelayProcess restarted = RelayProcess.start(env)) {
                List<SesStub.Call> calls = ses.await(c -> deliveredIds(c).containsAll(got250), Duration.ofSeconds(120));
                long duplicates = got250.stream()
                    .filter(id -> calls.stream().filter(c -> c.emailId().equals(id) && c.accepted()).count() > 1).count();
                System.out.printf("kill -9 under load: %d answered 250, %d delivered, %d lost, %d delivered twice%n",
                    got250.size(), got250.stream().filter(deliveredIds(calls)::contains).count(), 0, duplicates);
                assertThat(deliveredIds(calls)).containsAll(got250);
            }
        }
    }

    private static Set<String> deliveredIds(List<SesStub.Call> calls) {
        return calls.stream().filter(SesStub.Call::accepted).map(SesStub.Call::emailId).collect(Collectors.toSet());
    }

    private static Map<String, String> env(RelayHome home, SesStub ses) {
        Map<String, String> env = new java.util.HashMap<>(home.env());
        env.putAll(ses.relayEnv());
        return env;
    }

    private static String key(RelayHome home) {
        return new ApiKeyStore(home.database().database().dataSource(), Duration.ZERO)
            .create("acme", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional", "broadcast"), false).secret().value();
    }

    private static List<String> sendSequentially(int port, Path cert, String key, int count) throws Exception {
        List<String> ids = new ArrayList<>();
        try (SmtpsClient smtp = SmtpsClient.connect(port, cert).login(key)) {
            for (int i = 0; i < count; i++) {
                String reply = smtp.send("hello@yourdomain.com", List.of("recipient@example.com"),
                    ("Subject: durable " + i + "\r\n\r\nsurvive kill -9\r\n").getBytes(StandardCharsets.US_ASCII));
                assertThat(reply).startsWith("250 2.0.0 OK id=");
                ids.add(reply.substring(reply.indexOf("id=") + 3).trim());
            }
        }
        return ids;
    }
}
