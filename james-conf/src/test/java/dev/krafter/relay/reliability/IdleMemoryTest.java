package dev.krafter.relay.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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

import org.junit.jupiter.api.Test;

import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.apikey.ApiKeyStore;
import dev.krafter.relay.server.Clients;
import dev.krafter.relay.server.RelayHome;
import dev.krafter.relay.server.RelayProcess;
import dev.krafter.relay.server.SmtpsClient;

/**
 * A relay process with the launcher's memory settings gives memory back once it is idle: after
 * start-up, and again after a load of 1 MiB messages has grown its heap, each time with the
 * resident memory lower after than before; it serves the next message as ever.
 */
class IdleMemoryTest {
    private static final Pattern GIVEN_BACK = Pattern.compile("idle: memory given back, resident (\\d+) MiB -> (\\d+) MiB \\((\\d+) ms\\)");
    /** bin/krafter-relay's default KRAFTER_JAVA_OPTS. */
    private static final List<String> LAUNCHER_JVM = List.of("-Xms32m", "-Xmx224m", "-XX:+UseSerialGC",
        "-XX:+ExitOnOutOfMemoryError", "-Djdk.nio.maxCachedBufferSize=262144");

    @Test
    void anIdleRelayGivesBackWhatStartUpAndALoadMadeItTake() throws Exception {
        try (RelayHome home = new RelayHome(Map.of())) {
            String key = new ApiKeyStore(home.database().database().dataSource(), Duration.ZERO)
                .create("idle", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional"), false).secret().value();
            Path cert = home.path().resolve("var/tls/cert.pem");
            Map<String, String> env = new HashMap<>(home.env());
            env.put("MALLOC_ARENA_MAX", "2");
            try (RelayProcess relay = RelayProcess.start(env, LAUNCHER_JVM)) {
                long[] afterStart = givenBack(relay, 1);
                System.out.printf("idle memory: after start-up %d -> %d MiB in %d ms%n", afterStart[0], afterStart[1], afterStart[2]);
                assertThat(afterStart[1]).isLessThan(afterStart[0]);

                byte[] message = ("Subject: large\r\n\r\n" + ("z".repeat(76) + "\r\n").repeat(13_500)).getBytes(StandardCharsets.US_ASCII);
                int sent = load(relay.port(), cert, key, message, 8, 6);
                awaitDelivered(home.path().resolve("var/outbox"), sent);

                long[] afterLoad = givenBack(relay, 2);
                System.out.printf("idle memory: after %d × 1 MiB %d -> %d MiB in %d ms%n", sent, afterLoad[0], afterLoad[1], afterLoad[2]);
                assertThat(afterLoad[1]).isLessThan(afterLoad[0]);
                try (SmtpsClient smtp = SmtpsClient.connect(relay.port(), cert).login(key)) {
                    assertThat(smtp.send("idle@yourdomain.com", List.of("rcpt@example.com"), "Subject: after\r\n\r\nhi\r\n".getBytes()))
                        .startsWith("250");
                }
            }
        }
    }

    /** The {@code n}th "memory given back" line of the relay's log (resident MiB before, after; milliseconds), waited for up to a minute. */
    private static long[] givenBack(RelayProcess relay, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (System.nanoTime() < deadline) {
            Matcher m = GIVEN_BACK.matcher(relay.log());
            int found = 0;
            while (m.find()) {
                if (++found == n) {
                    return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3))};
                }
            }
            Thread.sleep(250);
        }
        throw new AssertionError("no memory given back (" + n + ") within a minute; log:\n" + relay.log());
    }

    private static int load(int port, Path cert, String key, byte[] message, int connections, int each) throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(connections);
        List<Future<Integer>> runs = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            runs.add(clients.submit(() -> {
                int accepted = 0;
                try (SmtpsClient smtp = SmtpsClient.connect(port, cert).login(key)) {
                    for (int i = 0; i < each; i++) {
                        String reply = smtp.send("idle@yourdomain.com", List.of("rcpt@example.com"), message);
                        assertThat(reply).startsWith("250");
                        accepted++;
                    }
                }
                return accepted;
            }));
        }
        int sent = 0;
        for (Future<Integer> run : runs) {
            sent += run.get(5, TimeUnit.MINUTES);
        }
        clients.shutdown();
        return sent;
    }

    private static void awaitDelivered(Path outbox, int count) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (Clients.outboxMessages(outbox) < count) {
            assertThat(System.nanoTime()).as("all %d delivered to the outbox", count).isLessThan(deadline);
            Thread.sleep(250);
        }
    }
}
