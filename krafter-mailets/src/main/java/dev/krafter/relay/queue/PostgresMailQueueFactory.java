package dev.krafter.relay.queue;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import javax.sql.DataSource;

import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.MailQueueItemDecoratorFactory;
import org.apache.james.queue.api.MailQueueName;

import com.google.common.collect.ImmutableSet;

import dev.krafter.relay.memory.ByteBudget;

/**
 * The queues of one process on the shared PostgreSQL: one node (heartbeat and leases) and one
 * wake-up channel for all of them. {@link #close()} stops both; the database is its owner's.
 */
public final class PostgresMailQueueFactory implements MailQueueFactory<PostgresMailQueue>, AutoCloseable {
    /** A connection outside the pool, held for as long as its holder runs: the LISTEN thread, each consumer, the notifier. */
    @FunctionalInterface
    public interface DirectConnections {
        Connection open() throws SQLException;
    }

    private final QueueRows rows;
    private final QueueSettings settings;
    private final QueueCompletion completion;
    private final MailQueueItemDecoratorFactory decorators;
    private final QueueNode node;
    private final QueueWakeups wakeups;
    private final DirectConnections connections;
    private final LeaseObserver leases;
    /** Message bytes being written to the queue, and read from it for delivery, at once, over all its queues. */
    private final ByteBudget enqueueBudget = new ByteBudget(PostgresMailQueue.ENQUEUE_BYTES_AT_ONCE);
    private final ByteBudget dequeueBudget = new ByteBudget(PostgresMailQueue.DEQUEUE_BYTES_AT_ONCE);
    private final ConcurrentHashMap<MailQueueName, PostgresMailQueue> queues = new ConcurrentHashMap<>();

    public PostgresMailQueueFactory(DataSource dataSource, DirectConnections directConnections,
                                    QueueSettings settings, QueueCompletion completion,
                                    MailQueueItemDecoratorFactory decorators) {
        this(dataSource, directConnections, settings, completion, decorators, LeaseObserver.NONE);
    }

    public PostgresMailQueueFactory(DataSource dataSource, DirectConnections directConnections,
                                    QueueSettings settings, QueueCompletion completion,
                                    MailQueueItemDecoratorFactory decorators, LeaseObserver leases) {
        this.leases = leases;
        this.rows = new QueueRows(dataSource, completion.leaseReading());
        this.settings = settings;
        this.completion = completion;
        this.decorators = decorators;
        this.connections = directConnections;
        this.node = new QueueNode(rows, settings);
        this.wakeups = new QueueWakeups(directConnections, node::othersAlive);
        node.start();
        wakeups.start();
    }

    @Override
    public Set<MailQueueName> listCreatedMailQueues() {
        return ImmutableSet.copyOf(queues.keySet());
    }

    @Override
    public Optional<PostgresMailQueue> getQueue(MailQueueName name, PrefetchCount count) {
        return Optional.ofNullable(queues.get(name));
    }

    @Override
    public PostgresMailQueue createQueue(MailQueueName name, PrefetchCount count) {
        return queues.computeIfAbsent(name,
            queueName -> new PostgresMailQueue(queueName, rows, node, wakeups, settings, completion, decorators, connections, enqueueBudget, dequeueBudget, leases));
    }

    /** The spool, created on first use as James's own components do. */
    public PostgresMailQueue spool() {
        return createQueue(SPOOL);
    }

    public String nodeId() {
        return settings.nodeId();
    }

    @Override
    public void close() {
        queues.values().forEach(PostgresMailQueue::close);
        wakeups.close();
        node.close();
    }
}
