package dev.krafter.relay.queue;

import java.time.Duration;
import java.util.Objects;

/**
 * How the PostgreSQL queue leases and looks for mail.
 *
 * @param nodeId  this process's name in {@code relay_nodes} and on its leases; stable across
 *                restarts of one installation, so a restarted node takes back its own leases at once
 * @param lease   how long a dequeued mail stays reserved for this node without a heartbeat; a dead
 *                node's mail comes back to the others after this long
 * @param poll    the longest a consumer sleeps between looks when no wake-up reaches it
 * @param batch   rows leased per query, at most
 */
public record QueueSettings(String nodeId, Duration lease, Duration poll, int batch) {
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(60);
    public static final Duration DEFAULT_POLL = Duration.ofSeconds(1);
    public static final int DEFAULT_BATCH = 16;

    public QueueSettings {
        Objects.requireNonNull(nodeId, "nodeId");
        if (lease.toMillis() < 1000) {
            throw new IllegalArgumentException("the queue lease must be at least 1s, not " + lease);
        }
        if (poll.toMillis() < 10) {
            throw new IllegalArgumentException("the queue poll interval must be at least 10ms, not " + poll);
        }
        if (batch < 1) {
            throw new IllegalArgumentException("the queue batch must be at least 1");
        }
    }

    public static QueueSettings of(String nodeId) {
        return new QueueSettings(nodeId, DEFAULT_LEASE, DEFAULT_POLL, DEFAULT_BATCH);
    }

    /** The heartbeat renews leases three times per lease, so one missed beat loses nothing. */
    Duration heartbeat() {
        return lease.dividedBy(3);
    }
}
