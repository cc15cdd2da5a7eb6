package dev.krafter.relay.server.startup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Earlier versions kept the spool in an ActiveMQ store under var/store/activemq. This version cannot
 * read it, and must not start as if it were not there: mail answered 250 by the old version may
 * still be in it. It refuses to start until the store is drained by the version that wrote it.
 */
public final class LegacyQueueStore {
    private LegacyQueueStore() {
    }

    public static void check(Path home) throws StartupFailure {
        Path store = home.resolve("var/store/activemq");
        if (!Files.isDirectory(store) || isEmpty(store)) {
            return;
        }
        throw new StartupFailure("var/store/activemq", "",
            "this directory holds the ActiveMQ spool queue of an earlier Krafter relay version, which may still hold"
                + " accepted mail; this version keeps its queue in PostgreSQL and cannot read it.",
            "start the earlier version once more on this directory with SES configured, and no client traffic"
                + " (KRAFTER_SMTP_BIND=127.0.0.1), until its /metrics shows krafter_queue_depth 0; stop it, move"
                + " var/store/activemq out of the way (mv var/store/activemq var/store/activemq.drained), and start"
                + " this version. See docs/operations.md, \"Upgrading from the ActiveMQ queue\".");
    }

    private static boolean isEmpty(Path dir) {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.findAny().isEmpty();
        } catch (IOException e) {
            return false;
        }
    }
}
