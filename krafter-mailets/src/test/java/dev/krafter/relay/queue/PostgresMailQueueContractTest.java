package dev.krafter.relay.queue;

import java.util.UUID;

import org.apache.james.queue.api.DelayedManageableMailQueueContract;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.MailQueueFactoryContract;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.queue.api.ManageableMailQueue;
import org.apache.james.queue.api.ManageableMailQueueFactoryContract;
import org.apache.james.queue.api.RawMailQueueItemDecoratorFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

import dev.krafter.relay.db.TestDatabase;

/**
 * James's own mail queue contracts (the tests classifier of james-server-queue-api 3.8.1) against
 * {@link PostgresMailQueue} on the real test PostgreSQL: FIFO, attributes and headers preserved,
 * delays, retries, concurrent consumers, browse, remove, flush, clear, and the factory's.
 */
class PostgresMailQueueContractTest implements DelayedManageableMailQueueContract,
    MailQueueFactoryContract<PostgresMailQueue>, ManageableMailQueueFactoryContract<PostgresMailQueue> {

    private static TestDatabase database;

    private PostgresMailQueueFactory factory;
    private PostgresMailQueue queue;

    @BeforeAll
    static void database() {
        database = TestDatabase.create();
    }

    @AfterAll
    static void dropDatabase() {
        database.close();
    }

    @BeforeEach
    void setUp() {
        factory = newFactory(database, "contract-" + UUID.randomUUID());
        queue = null;
    }

    @AfterEach
    void tearDown() {
        factory.close();
    }

    static PostgresMailQueueFactory newFactory(TestDatabase database, String nodeId) {
        return new PostgresMailQueueFactory(database.database().dataSource(), database.database()::connectDirect,
            QueueSettings.of(nodeId), QueueCompletion.NONE, new RawMailQueueItemDecoratorFactory());
    }

    @Override
    public MailQueue getMailQueue() {
        return getManageableMailQueue();
    }

    /** A queue of its own per test (created on first use, so the factory contracts start empty): a consumer a test leaves running cannot take the next test's mail. */
    @Override
    public ManageableMailQueue getManageableMailQueue() {
        if (queue == null) {
            queue = factory.createQueue(MailQueueName.of("test-" + UUID.randomUUID()));
        }
        return queue;
    }

    @Override
    public MailQueueFactory<PostgresMailQueue> getMailQueueFactory() {
        return factory;
    }
}
