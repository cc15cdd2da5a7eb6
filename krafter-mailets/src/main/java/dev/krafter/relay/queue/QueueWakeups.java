package dev.krafter.relay.queue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wakes the consumers of a queue when mail arrives: at once in this process, and through
 * PostgreSQL's LISTEN/NOTIFY on the other nodes. The consumers also look on their own every poll
 * interval, so a lost notification (a reconnect, a restart) only delays mail by that much.
 *
 * <p>The NOTIFY is sent by one thread, after the enqueue's commit and outside its transaction: a
 * notifying transaction takes a database-wide lock at commit, which would serialise the accept
 * commits that should share WAL flushes. Enqueues that come while a NOTIFY is on its way are
 * covered by the next one, so under load it is about one NOTIFY per round trip, not one per mail;
 * it commits without waiting for the WAL flush (a lost one is covered by the poll), and it is not
 * sent at all while no other node is alive.
 */
final class QueueWakeups implements AutoCloseable {
    /** The one channel; the payload is the queue's name. */
    static final String CHANNEL = "krafter_mail_queue";

    private static final Logger LOGGER = LoggerFactory.getLogger(QueueWakeups.class);

    /** One consumer's bell. */
    static final class Bell {
        private boolean rung;

        synchronized void ring() {
            rung = true;
            notifyAll();
        }

        /** Waits until rung or {@code millis} passed; clears the bell. */
        synchronized void await(long millis) throws InterruptedException {
            if (!rung && millis > 0) {
                wait(millis);
            }
            rung = false;
        }
    }

    private final java.util.function.BooleanSupplier othersAlive;
    private final PostgresMailQueueFactory.DirectConnections directConnections;
    private final Map<String, Set<Bell>> bells = new ConcurrentHashMap<>();
    private final Set<String> toNotify = ConcurrentHashMap.newKeySet();
    private final LinkedBlockingQueue<String> notifyQueue = new LinkedBlockingQueue<>();
    private final Thread notifier;
    private final Thread listener;
    private volatile boolean running = true;

    QueueWakeups(PostgresMailQueueFactory.DirectConnections directConnections, java.util.function.BooleanSupplier othersAlive) {
        this.othersAlive = othersAlive;
        this.directConnections = directConnections;
        this.notifier = new Thread(this::notifyLoop, "krafter-queue-notify");
        this.listener = new Thread(this::listenLoop, "krafter-queue-listen");
        notifier.setDaemon(true);
        listener.setDaemon(true);
    }

    void start() {
        notifier.start();
        listener.start();
    }

    void register(String queue, Bell bell) {
        bells.computeIfAbsent(queue, name -> ConcurrentHashMap.newKeySet()).add(bell);
    }

    void unregister(String queue, Bell bell) {
        Set<Bell> set = bells.get(queue);
        if (set != null) {
            set.remove(bell);
        }
    }

    /** A mail of {@code queue} was committed here. */
    void enqueued(String queue) {
        ringLocal(queue);
        if (toNotify.add(queue)) {
            notifyQueue.offer(queue);
        }
    }

    private void ringLocal(String queue) {
        Set<Bell> set = bells.get(queue);
        if (set != null) {
            set.forEach(Bell::ring);
        }
    }

    private void ringAll() {
        bells.values().forEach(set -> set.forEach(Bell::ring));
    }

    private void notifyLoop() {
        Connection connection = null;
        while (running) {
            String queue;
            try {
                queue = notifyQueue.poll(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                break;
            }
            if (queue == null) {
                continue;
            }
            toNotify.remove(queue); // before sending: an enqueue from now on asks for another
            if (!othersAlive.getAsBoolean()) {
                continue; // this node's consumers were rung already; nobody else listens
            }
            try {
                if (connection == null) {
                    connection = QueueRows.softConnection(directConnections.open());
                }
                try (PreparedStatement s = connection.prepareStatement("SELECT pg_notify(?, ?)")) {
                    s.setString(1, CHANNEL);
                    s.setString(2, queue);
                    s.execute();
                }
            } catch (SQLException e) {
                closeQuietly(connection);
                connection = null;
                LOGGER.debug("queue: NOTIFY failed ({}); other nodes find the mail at their next poll", e.getMessage());
            }
        }
        closeQuietly(connection);
    }

    private void listenLoop() {
        Connection connection = null;
        long backoff = 500;
        while (running) {
            try {
                if (connection == null) {
                    connection = directConnections.open();
                    try (Statement s = connection.createStatement()) {
                        s.execute("LISTEN " + CHANNEL);
                    }
                    backoff = 500;
                    ringAll(); // what was enqueued while we were not listening
                }
                PGNotification[] notifications = connection.unwrap(PGConnection.class).getNotifications(500);
                if (notifications != null) {
                    for (PGNotification notification : notifications) {
                        ringLocal(notification.getParameter());
                    }
                }
            } catch (SQLException e) {
                closeQuietly(connection);
                connection = null;
                if (running) {
                    LOGGER.debug("queue: LISTEN connection lost ({}); polling until it is back", e.getMessage());
                    try {
                        Thread.sleep(backoff);
                    } catch (InterruptedException interrupted) {
                        break;
                    }
                    backoff = Math.min(backoff * 2, 10_000);
                }
            }
        }
        closeQuietly(connection);
    }

    private static void closeQuietly(Connection connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                // already broken
            }
        }
    }

    @Override
    public void close() {
        running = false;
        notifier.interrupt();
        listener.interrupt();
        try {
            notifier.join(2000);
            listener.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
