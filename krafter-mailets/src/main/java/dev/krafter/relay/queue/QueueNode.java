package dev.krafter.relay.queue;

import java.net.InetAddress;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This process as the queue sees it: its row in {@code relay_nodes}, the leases it holds, and the
 * heartbeat that keeps both fresh. A lease the heartbeat no longer renews (the node died, or lost
 * the database for longer than a lease) expires, and the mail is ready for every other node again.
 *
 * <p>A completion that could not be written (the database was unreachable when a mail was done)
 * is retried here until it lands, and its lease is renewed meanwhile: the mailet's outcome is
 * retried, never the work that produced it.
 */
final class QueueNode implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(QueueNode.class);
    private static final Duration MAX_RETRY_DELAY = Duration.ofSeconds(10);

    /** A database write retried until it commits. */
    @FunctionalInterface
    interface Write {
        void run() throws SQLException;
    }

    private final QueueRows rows;
    private final QueueSettings settings;
    private final Set<Long> held = ConcurrentHashMap.newKeySet();
    /** Whether another node has beaten within a lease: only then is a NOTIFY worth sending. */
    private volatile boolean othersAlive = true;
    private final ScheduledExecutorService timer;

    QueueNode(QueueRows rows, QueueSettings settings) {
        this.rows = rows;
        this.settings = settings;
        this.timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "krafter-queue-heartbeat");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Registers the node and takes back its own leases of a previous run (that process is gone: this is it). */
    void start() {
        try {
            beat();
            try (Connection c = rows.dataSource().getConnection();
                 PreparedStatement s = c.prepareStatement(
                     "UPDATE mail_queue SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?")) {
                s.setString(1, settings.nodeId());
                int released = s.executeUpdate();
                if (released > 0) {
                    LOGGER.info("queue: {} mail(s) leased by this node's previous run are ready again", released);
                }
            }
        } catch (SQLException e) {
            LOGGER.warn("queue: could not register node {} yet ({}); the heartbeat keeps trying", settings.nodeId(), e.getMessage());
        }
        long every = settings.heartbeat().toMillis();
        timer.scheduleWithFixedDelay(this::heartbeat, every, every, TimeUnit.MILLISECONDS);
    }

    String id() {
        return settings.nodeId();
    }

    void hold(long id) {
        held.add(id);
    }

    void release(long id) {
        held.remove(id);
    }

    boolean othersAlive() {
        return othersAlive;
    }

    Long[] held() {
        return held.toArray(Long[]::new);
    }

    /** Retries {@code write} with backoff until it commits; the row stays held (and leased) until then. */
    void retryUntilDone(long id, String what, Write write) {
        retry(id, what, write, Duration.ofMillis(500));
    }

    private void retry(long id, String what, Write write, Duration delay) {
        try {
            timer.schedule(() -> {
                try {
                    write.run();
                    release(id);
                    LOGGER.info("queue: {} written after the database came back", what);
                } catch (SQLException | RuntimeException e) {
                    Duration next = delay.multipliedBy(2).compareTo(MAX_RETRY_DELAY) > 0 ? MAX_RETRY_DELAY : delay.multipliedBy(2);
                    LOGGER.warn("queue: {} still not written ({}); again in {}", what, e.getMessage(), next);
                    retry(id, what, write, next);
                }
            }, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOGGER.error("queue: shutting down with {} not written; the mail is delivered again once its lease expires", what);
        }
    }

    private void heartbeat() {
        try {
            beat();
        } catch (SQLException | RuntimeException e) {
            LOGGER.warn("queue: heartbeat failed ({}); leases expire {} after the last good one", e.getMessage(), settings.lease());
        }
    }

    private void beat() throws SQLException {
        try (Connection c = rows.dataSource().getConnection()) {
            c.setAutoCommit(true);
            try (PreparedStatement node = c.prepareStatement("""
                INSERT INTO relay_nodes (id, host) VALUES (?, ?)
                ON CONFLICT (id) DO UPDATE SET last_seen = now(), host = EXCLUDED.host""")) {
                node.setString(1, settings.nodeId());
                node.setString(2, hostName());
                node.executeUpdate();
            }
            try (PreparedStatement others = c.prepareStatement(
                "SELECT EXISTS (SELECT 1 FROM relay_nodes WHERE id <> ? AND last_seen > now() - ? * interval '1 millisecond')")) {
                others.setString(1, settings.nodeId());
                others.setLong(2, settings.lease().toMillis());
                try (var rs = others.executeQuery()) {
                    rs.next();
                    othersAlive = rs.getBoolean(1);
                }
            }
            if (!held.isEmpty()) {
                try (PreparedStatement renew = c.prepareStatement("""
                    UPDATE mail_queue SET lease_until = now() + ? * interval '1 millisecond'
                     WHERE lease_owner = ? AND id = ANY (?)""")) {
                    renew.setLong(1, settings.lease().toMillis());
                    renew.setString(2, settings.nodeId());
                    renew.setArray(3, c.createArrayOf("bigint", held.toArray()));
                    renew.executeUpdate();
                }
            }
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    @Override
    public void close() {
        timer.shutdown();
        try {
            if (!timer.awaitTermination(2, TimeUnit.SECONDS)) {
                timer.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
