package dev.krafter.relay.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.krafter.relay.db.TestDatabase;

/**
 * bin/krafter-relay's embedded PostgreSQL: stopped when the relay exits if the launcher started it,
 * left running if it was running before. The launcher runs from a distribution-shaped directory (no
 * build) with a stand-in {@code java} that waits for SIGTERM, so only the script's own work is tested.
 */
class EmbeddedDatabaseLifecycleTest {
    private static final Path ROOT = TestDatabase.repositoryRoot();
    private Path dist;
    private int port;

    @BeforeEach
    void distribution() throws Exception {
        // Under target/, not a 0700 temp directory: the cluster runs as the postgres user, which must reach it.
        dist = ROOT.resolve("james-conf/target/launcher-test");
        Clients.run(Duration.ofSeconds(60), Map.of(), ROOT.resolve("bin/krafter-pg").toString(), "stop", dist.resolve("var/pg").toString());
        deleteRecursively(dist);
        Files.createDirectories(dist.resolve("bin"));
        Files.createDirectories(dist.resolve("lib"));
        Files.createDirectories(dist.resolve("conf"));
        for (String script : List.of("krafter-relay", "krafter-pg", "krafter-tls")) {
            Files.copy(ROOT.resolve("bin").resolve(script), dist.resolve("bin").resolve(script), StandardCopyOption.COPY_ATTRIBUTES);
        }
        Path java = Files.createDirectories(dist.resolve("fake-jdk/bin")).resolve("java");
        Files.writeString(java, "#!/bin/sh\necho \"relay stand-in: $*\"\ntrap 'echo \"relay stand-in: TERM\"; exit 0' TERM\n"
            + "while :; do sleep 0.2; done\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
    }

    @AfterEach
    void stopCluster() throws Exception {
        Clients.run(Duration.ofSeconds(60), Map.of(), ROOT.resolve("bin/krafter-pg").toString(), "stop", dist.resolve("var/pg").toString());
    }

    @Test
    void theClusterTheLauncherStartedStopsWithTheRelay() throws Exception {
        Launcher launcher = Launcher.start(dist, port);
        launcher.awaitOutput("relay stand-in: ");
        assertThat(listening(port)).as("PostgreSQL on %d while the relay runs", port).isTrue();

        launcher.process.toHandle().destroy(); // SIGTERM, as systemd would; Process.destroy() would also close our pipes
        assertThat(launcher.process.waitFor(60, TimeUnit.SECONDS)).isTrue();

        assertThat(launcher.process.exitValue()).isZero();
        assertThat(launcher.output()).contains("relay stand-in: TERM", "krafter-relay: embedded PostgreSQL stopped");
        assertThat(listening(port)).as("PostgreSQL on %d after the relay exited", port).isFalse();
    }

    @Test
    void aClusterThatWasAlreadyRunningIsLeftRunning() throws Exception {
        Clients.Result started = Clients.run(Duration.ofSeconds(120), Map.of(), dist.resolve("bin/krafter-pg").toString(), "start",
            dist.resolve("var/pg").toString(), String.valueOf(port));
        assertThat(started.exitCode()).as(started.output()).isZero();
        Launcher launcher = Launcher.start(dist, port);
        launcher.awaitOutput("relay stand-in: ");

        launcher.process.toHandle().destroy();
        assertThat(launcher.process.waitFor(60, TimeUnit.SECONDS)).isTrue();

        assertThat(launcher.output()).doesNotContain("embedded PostgreSQL stopped");
        assertThat(listening(port)).isTrue();
    }

    private static boolean listening(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (var paths = Files.walk(dir)) {
                paths.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** bin/krafter-relay run from {@code dist}, its output collected as it comes. */
    private record Launcher(Process process, StringBuffer collected) {
        static Launcher start(Path dist, int port) throws IOException {
            ProcessBuilder builder = new ProcessBuilder(dist.resolve("bin/krafter-relay").toString(), "run").redirectErrorStream(true);
            Map<String, String> env = builder.environment();
            env.keySet().removeIf(name -> name.startsWith("KRAFTER_"));
            env.put("JAVA_HOME", dist.resolve("fake-jdk").toString());
            env.put("KRAFTER_EMBEDDED_PG_PORT", String.valueOf(port));
            Launcher launcher = new Launcher(builder.start(), new StringBuffer());
            Thread reader = new Thread(() -> {
                try (BufferedReader lines = new BufferedReader(new InputStreamReader(launcher.process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                        launcher.collected.append(line).append('\n');
                    }
                } catch (IOException e) {
                    launcher.collected.append(e).append('\n');
                }
            });
            reader.setDaemon(true);
            reader.start();
            return launcher;
        }

        String output() throws InterruptedException {
            Thread.sleep(200); // the reader thread's last lines
            return collected.toString();
        }

        void awaitOutput(String text) throws InterruptedException {
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (!collected.toString().contains(text)) {
                if (System.nanoTime() > deadline || !process.isAlive()) {
                    throw new AssertionError("launcher did not print '" + text + "':\n" + collected);
                }
                Thread.sleep(100);
            }
        }
    }
}
