package dev.krafter.relay.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
 * Soak: many short TLS connections against one relay process, each a full handshake
 * (a fresh client SSLContext, no session resumption), EHLO, AUTH PLAIN, one message, QUIT, from 8
 * client threads. The relay's resident set size ({@code VmRSS} in /proc, after a full GC through
 * jcmd) at the end must be within 10% of the value after the warm-up (the first quarter of the
 * connections, at least 1,000); the Java heap after that GC (used and committed) is printed beside
 * it. Bounded form: 2,000
 * connections; the full 10,000 with {@code -Dkrafter.soak-connections=10000}.
 */
class SoakTest {
    private static final int CLIENTS = 8;

    @Test
    void residentMemoryAfterManyTlsConnectionsStaysWithinTenPercentOfWarm() throws Exception {
        int connections = Integer.getInteger("krafter.soak-connections", 2000);
        // A quarter, but at least 1,000 (half of a small run): native memory settles over the first ~1,000.
        int warmUp = Math.max(connections / 4, Math.min(1000, connections / 2));
        try (RelayHome home = new RelayHome(Map.of())) {
            String key = new ApiKeyStore(home.database().database().dataSource(), Duration.ZERO)
                .create("soak", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional"), false).secret().value();
            Path cert = home.path().resolve("var/tls/cert.pem");
            try (RelayProcess relay = RelayProcess.start(home.env(),
                // A fixed, pre-touched heap: G1 growing its committed heap is not a leak, but it moves
                // RSS by tens of MB from run to run; this way RSS growth is what is not the heap.
                List.of("-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch"))) {
                AtomicInteger accepted = new AtomicInteger();
                AtomicInteger failed = new AtomicInteger();
                List<String> failures = new ArrayList<>();
                long t0 = System.nanoTime();
                connections(relay.port(), cert, key, warmUp, accepted, failed, failures);
                long warmMillis = (System.nanoTime() - t0) / 1_000_000;
                Memory warm = memory(relay.pid());
                long t1 = System.nanoTime();
                connections(relay.port(), cert, key, connections - warmUp, accepted, failed, failures);
                long soakMillis = (System.nanoTime() - t1) / 1_000_000;
                Memory end = memory(relay.pid());

                Path outbox = home.path().resolve("var/outbox");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                long delivered = Clients.outboxMessages(outbox);
                while (delivered < accepted.get() && System.nanoTime() < deadline) {
                    Thread.sleep(250);
                    delivered = Clients.outboxMessages(outbox);
                }
                System.out.printf("soak: %d TLS connections (warm-up %d in %d ms, then %d in %d ms, %.0f connections/s), %d × 250,"
                        + " %d failed %s, %d delivered; relay RSS %d MB after warm-up, %d MB at the end (%+.1f%%);"
                        + " heap after full GC %d MB → %d MB used, %d MB → %d MB committed; threads %d → %d%n",
                    connections, warmUp, warmMillis, connections - warmUp, soakMillis,
                    (connections - warmUp) * 1000.0 / Math.max(1, soakMillis), accepted.get(), failed.get(),
                    failures.stream().limit(3).toList(), delivered, warm.rssKb() / 1024, end.rssKb() / 1024,
                    (end.rssKb() - warm.rssKb()) * 100.0 / warm.rssKb(), warm.heapKb() / 1024, end.heapKb() / 1024,
                    warm.committedKb() / 1024, end.committedKb() / 1024,
                    warm.threads(), end.threads());

                assertThat(failed.get()).as("failed connections %s", failures).isZero();
                assertThat(accepted.get()).isEqualTo(connections);
                assertThat(delivered).as("delivered").isEqualTo(accepted.get());
                assertThat((double) end.rssKb()).as("RSS at the end vs after warm-up (kB)").isLessThanOrEqualTo(warm.rssKb() * 1.10);
            }
        }
    }

    private static void connections(int port, Path cert, String key, int count, AtomicInteger accepted, AtomicInteger failed,
                                    List<String> failures) throws Exception {
        AtomicInteger next = new AtomicInteger();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        List<Future<?>> runs = new ArrayList<>();
        long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(15);
        for (int c = 0; c < CLIENTS; c++) {
            runs.add(clients.submit(() -> {
                int n;
                while ((n = next.getAndIncrement()) < count && System.nanoTime() < end) {
                    try (SmtpsClient smtp = SmtpsClient.connect(port, cert).login(key)) {
                        String reply = smtp.send("soak@yourdomain.com", List.of("rcpt@example.com"),
                            ("Subject: soak " + n + "\r\n\r\n" + ("y".repeat(76) + "\r\n").repeat(12)).getBytes());
                        if (reply.startsWith("250")) {
                            accepted.incrementAndGet();
                        } else {
                            failed.incrementAndGet();
                            synchronized (failures) {
                                failures.add(reply);
                            }
                        }
                        smtp.command("QUIT");
                    } catch (IOException | RuntimeException e) {
                        failed.incrementAndGet();
                        synchronized (failures) {
                            failures.add(e.toString());
                        }
                    }
                }
                return null;
            }));
        }
        for (Future<?> run : runs) {
            run.get();
        }
        clients.shutdown();
    }

    record Memory(long rssKb, long heapKb, long committedKb, int threads) {
    }

    private static final Pattern HEAP_USED = Pattern.compile("garbage-first heap\\s+total (\\d+)K, used (\\d+)K");

    /** After a full GC (jcmd GC.run) and a moment for the connections' last closes: VmRSS, heap used, threads. */
    private static Memory memory(long pid) throws Exception {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        Clients.run(Duration.ofSeconds(60), Map.of(), jcmd, String.valueOf(pid), "GC.run");
        Thread.sleep(2000);
        Clients.Result heap = Clients.run(Duration.ofSeconds(60), Map.of(), jcmd, String.valueOf(pid), "GC.heap_info");
        Matcher m = HEAP_USED.matcher(heap.output());
        boolean found = m.find();
        long committedKb = found ? Long.parseLong(m.group(1)) : -1;
        long heapKb = found ? Long.parseLong(m.group(2)) : -1;
        long rss = -1;
        int threads = -1;
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                rss = Long.parseLong(line.replaceAll("\\D", ""));
            } else if (line.startsWith("Threads:")) {
                threads = Integer.parseInt(line.replaceAll("\\D", ""));
            }
        }
        return new Memory(rss, heapKb, committedKb, threads);
    }
}
