package dev.krafter.relay.scale;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's HAProxy in the foreground ({@code haproxy -db}) with the documented docker/haproxy.cfg
 * on loopback ports (TCP mode, round robin, PROXY v2, per-client connection limit), plus one
 * frontend per node (PROXY v1) so that a test can reach a chosen node through the proxy. TLS
 * passes through untouched; the nodes terminate it.
 */
final class Haproxy implements AutoCloseable {
    private final Process process;
    private final Path dir;
    private final int balancedPort;
    private final List<Integer> nodePorts;

    private Haproxy(Process process, Path dir, int balancedPort, List<Integer> nodePorts) {
        this.process = process;
        this.dir = dir;
        this.balancedPort = balancedPort;
        this.nodePorts = nodePorts;
    }

    /**
     * docker/haproxy.cfg as documented, with loopback addresses, these ports and this per-client
     * connection limit; plus one frontend per node. Every replacement must match exactly once, so
     * that the documented file and the tested one cannot drift apart unnoticed.
     */
    static Haproxy start(List<Integer> relayPorts, int perClientLimit) throws IOException, InterruptedException {
        // distinct ports: HAProxy binds with SO_REUSEPORT, so two frontends given the same port
        // would silently share its connections
        java.util.Set<Integer> taken = new java.util.HashSet<>(relayPorts);
        int balanced = freePort(taken);
        List<Integer> direct = new java.util.ArrayList<>();
        for (int i = 0; i < relayPorts.size(); i++) {
            direct.add(freePort(taken));
        }
        String cfg = Files.readString(dev.krafter.relay.db.TestDatabase.repositoryRoot().resolve("docker/haproxy.cfg"));
        cfg = replaceOnce(cfg, "  bind :465\n", "  bind 127.0.0.1:" + balanced + "\n");
        cfg = replaceOnce(cfg, "{ sc0_conn_cur gt 200 }", "{ sc0_conn_cur gt " + perClientLimit + " }");
        for (int i = 0; i < relayPorts.size(); i++) {
            cfg = replaceOnce(cfg, " relay" + (i + 1) + ":465 ", " 127.0.0.1:" + relayPorts.get(i) + " ");
        }
        StringBuilder nodes = new StringBuilder(cfg);
        for (int i = 0; i < relayPorts.size(); i++) {
            nodes.append("\nlisten node%d-only\n  bind 127.0.0.1:%d\n  server node%d 127.0.0.1:%d send-proxy\n"
                .formatted(i + 1, direct.get(i), i + 1, relayPorts.get(i)));
        }
        String text = nodes.toString();
        Path dir = Files.createTempDirectory("krafter-haproxy");
        Path file = dir.resolve("haproxy.cfg");
        Files.writeString(file, text);
        Process process;
        try {
            process = new ProcessBuilder("haproxy", "-db", "-f", file.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("haproxy.log").toFile()).start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot run haproxy (bin/test installs Debian's haproxy): " + e.getMessage(), e);
        }
        Haproxy haproxy = new Haproxy(process, dir, balanced, direct);
        haproxy.awaitListening();
        return haproxy;
    }

    private static String replaceOnce(String text, String before, String after) {
        int at = text.indexOf(before);
        if (at < 0 || text.indexOf(before, at + 1) >= 0) {
            throw new IllegalStateException("docker/haproxy.cfg does not contain exactly one \"" + before.strip() + "\"");
        }
        return text.substring(0, at) + after + text.substring(at + before.length());
    }

    int balancedPort() {
        return balancedPort;
    }

    /** The frontend that forwards only to node {@code n} (0-based). */
    int nodePort(int n) {
        return nodePorts.get(n);
    }

    String log() throws IOException {
        return Files.readString(dir.resolve("haproxy.log"), StandardCharsets.UTF_8);
    }

    private void awaitListening() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("haproxy exited: " + log());
            }
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress("127.0.0.1", nodePorts.get(nodePorts.size() - 1)), 500);
                return;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("haproxy not listening after 20 s: " + log());
                }
                Thread.sleep(100);
            }
        }
    }

    /** A free port in 25000-25999 (this project's range for test listeners). */
    private static int freePort(java.util.Set<Integer> taken) throws IOException {
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = 25000 + (int) (Math.random() * 1000);
            if (taken.contains(port)) {
                continue;
            }
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress("127.0.0.1", port));
                taken.add(port);
                return port;
            } catch (IOException inUse) {
                // try another
            }
        }
        throw new IOException("no free port in 25000-25999");
    }

    @Override
    public void close() throws IOException, InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
