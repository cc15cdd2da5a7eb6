package dev.krafter.relay.status;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * One snapshot of the whole relay as PostgreSQL holds it (the same from any node): the nodes, the
 * shared spool, what became of the emails of the last hour and day, and the last delivery errors.
 */
public record RelayStatus(Instant at, List<Node> nodes, Queue queue, List<Window> windows, List<DeliveryError> errors) {
    /**
     * A node is up while its heartbeat (every third of its queue lease, 20 s by default) is at most
     * this old: the default lease, after which its leased mail goes back to the other nodes.
     */
    public static final Duration NODE_UP_WITHIN = Duration.ofSeconds(60);
    /** Nodes last seen longer ago than this are left out: gone for good, or renamed. */
    public static final Duration NODES_SEEN_WITHIN = Duration.ofHours(24);

    /** {@code startedAt}: when the node's id first registered (relay_nodes.started_at). */
    public record Node(String id, String host, Instant startedAt, Instant lastSeen, Duration sinceSeen) {
        public boolean up() {
            return sinceSeen.compareTo(NODE_UP_WITHIN) <= 0;
        }
    }

    /**
     * The spool over every node. {@code retryWaiting}: rows whose next attempt is in the future;
     * {@code inDelivery}: rows a node holds a live lease on.
     */
    public record Queue(long depth, Optional<Duration> oldestAge, long retryWaiting, long inDelivery) {
        public boolean olderThan(Duration maxAge) {
            return oldestAge.filter(age -> age.compareTo(maxAge) > 0).isPresent();
        }
    }

    /** The emails of one stream whose delivery ended, or was retried, within a window. */
    public record StreamCounts(String stream, long sent, long failed, long deferred) {
    }

    public record Window(String name, Duration span, List<StreamCounts> streams) {
    }

    /** An error text as email records hold it, how many records hold it now, and when it was last written. */
    public record DeliveryError(String error, long emails, Instant last) {
    }

    public long nodesUp() {
        return nodes.stream().filter(Node::up).count();
    }
}
