package dev.krafter.relay.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Certificate renewal without a restart: checks the modification times of the PEM files
 * ({@code KRAFTER_TLS_CERT}, {@code KRAFTER_TLS_KEY}; symbolic links followed, as certbot's
 * {@code live/} links are) every interval, and once they have changed and then stayed the same for one
 * more check (both files written), reloads the SMTP server's TLS context. New connections get the new
 * certificate; open ones keep theirs. A reload that fails (a key that does not parse) is logged and
 * retried at the next change; the old certificate stays in use.
 */
final class TlsCertificateWatcher implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(TlsCertificateWatcher.class);

    private final List<Path> files;
    private final Reload reload;
    private final ScheduledExecutorService timer;
    private List<FileTime> loaded;
    private List<FileTime> seen;

    @FunctionalInterface
    interface Reload {
        void run() throws Exception;
    }

    TlsCertificateWatcher(Path cert, Path key, Duration interval, Reload reload) {
        this.files = List.of(cert, key);
        this.reload = reload;
        this.loaded = times();
        this.seen = loaded;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "krafter-tls-reload");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::check, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void check() {
        List<FileTime> now = times();
        boolean stable = now.equals(seen);
        seen = now;
        if (!stable || now.equals(loaded) || now.contains(null)) {
            return;
        }
        loaded = now;
        try {
            reload.run();
            LOGGER.info("TLS certificate reloaded from {} and {}", files.get(0), files.get(1));
        } catch (Exception e) {
            LOGGER.error("TLS certificate reload from {} and {} failed; the previous certificate stays in use",
                files.get(0), files.get(1), e);
        }
    }

    private List<FileTime> times() {
        return files.stream().map(TlsCertificateWatcher::modified).toList();
    }

    private static FileTime modified(Path file) {
        try {
            return Files.getLastModifiedTime(file);
        } catch (IOException e) {
            return null; // being replaced: wait for the next check
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
