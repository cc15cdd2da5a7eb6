package dev.krafter.relay.server;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

/**
 * The name this installation goes by on the shared queue: KRAFTER_NODE_ID, else the one kept in
 * var/node-id (written at first start). Stable across restarts, so a node restarted after a crash
 * takes its own leases back at once instead of waiting for them to expire.
 */
final class NodeIdentity {
    private NodeIdentity() {
    }

    static String of(Path home, Map<String, String> env) throws IOException {
        String configured = env.get("KRAFTER_NODE_ID");
        if (configured != null && !configured.isBlank()) {
            return configured.strip();
        }
        Path file = home.resolve("var/node-id");
        if (Files.exists(file)) {
            String kept = Files.readString(file).strip();
            if (!kept.isEmpty()) {
                return kept;
            }
        }
        String id = host() + "-" + UUID.randomUUID().toString().substring(0, 8);
        Files.createDirectories(file.getParent());
        Files.writeString(file, id + "\n");
        return id;
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "node";
        }
    }
}
