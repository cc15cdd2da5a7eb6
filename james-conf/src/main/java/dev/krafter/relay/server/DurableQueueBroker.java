package dev.krafter.relay.server;

import java.util.List;

import javax.annotation.PreDestroy;
import javax.inject.Inject;
import javax.inject.Singleton;
import javax.jms.ConnectionFactory;

import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.ActiveMQPrefetchPolicy;
import org.apache.activemq.broker.BrokerPlugin;
import org.apache.activemq.broker.BrokerService;
import org.apache.activemq.broker.jmx.ManagementContext;
import org.apache.activemq.broker.region.Destination;
import org.apache.activemq.broker.region.RegionBroker;
import org.apache.activemq.broker.region.policy.PolicyEntry;
import org.apache.activemq.broker.region.policy.PolicyMap;
import org.apache.activemq.plugin.StatisticsBrokerPlugin;
import org.apache.activemq.command.ActiveMQQueue;
import org.apache.activemq.store.kahadb.KahaDBPersistenceAdapter;
import org.apache.james.filesystem.api.FileSystem;
import org.apache.james.metrics.api.GaugeRegistry;
import org.apache.james.queue.activemq.FileSystemBlobTransferPolicy;
import org.apache.james.queue.api.MailQueueFactory;

/**
 * The embedded ActiveMQ broker behind James's mail queue, as James's {@code EmbeddedActiveMQ}
 * builds it (KahaDB under var/store/activemq, blob files for message bodies, prefetch 0), with three
 * differences that its private construction does not allow:
 * <ul>
 * <li>In-VM transport only: no TCP connector on a random loopback port.</li>
 * <li>No concurrent store and dispatch for queues: each persistent send is stored by the thread that
 *     received it, so the enqueues of several connections are written and synced together.</li>
 * <li>A large {@code maxPageSize}: James delays a retry by leaving the message in the queue for a
 *     selector to pick up when it is due. ActiveMQ pages only 200 messages into memory, so with
 *     about 250 delayed retries waiting (an SES outage) fresh mail stopped being dequeued at all;
 *     with 5,000 it was dequeued in under a second (measured with 600 and 3,000 waiting). The policy
 *     must be set before the broker starts or the recovered spool queue does not get it.</li>
 * </ul>
 * It also registers the {@value #QUEUE_DEPTH} gauge (see {@link #messagesIn}).
 */
@Singleton
public class DurableQueueBroker {
    static final int MAX_PAGE_SIZE = 5_000;
    /** Messages in the spool queue: waiting, being delivered, or waiting for a retry. */
    public static final String QUEUE_DEPTH = "krafter_queue_depth";
    private static final String KAHADB = "file://var/store/activemq/brokers/KahaDB";
    private static final String BROKERS = "file://var/store/activemq/brokers";
    private static final String BLOBS = "file://var/store/activemq/blob-transfer";

    private final BrokerService broker;
    private final ActiveMQConnectionFactory connectionFactory;

    @Inject
    public DurableQueueBroker(FileSystem fileSystem, GaugeRegistry gauges) throws Exception {
        KahaDBPersistenceAdapter kahaDb = new KahaDBPersistenceAdapter();
        kahaDb.setDirectory(fileSystem.getFile(KAHADB));
        // Store on the sending connection's own broker thread rather than on KahaDB's one store-and-dispatch
        // thread: concurrent enqueues then share a journal write and its sync (see ParallelEnqueueMailQueue).
        // Either way the send returns only after the synced journal write.
        kahaDb.setConcurrentStoreAndDispatchQueues(false);

        PolicyEntry queues = new PolicyEntry();
        queues.setQueue(">");
        queues.setMaxPageSize(MAX_PAGE_SIZE);
        queues.setMaxBrowsePageSize(MAX_PAGE_SIZE);
        PolicyMap policies = new PolicyMap();
        policies.setPolicyEntries(List.of(queues));

        broker = new BrokerService();
        broker.setBrokerName("james");
        broker.setBrokerId("broker");
        broker.setUseJmx(false);
        ManagementContext management = new ManagementContext();
        management.setCreateConnector(false);
        broker.setManagementContext(management);
        broker.setPersistent(true);
        broker.setDataDirectoryFile(fileSystem.getFile(BROKERS));
        broker.setPersistenceAdapter(kahaDb);
        broker.setUseShutdownHook(false);
        broker.setSchedulerSupport(false);
        broker.setDestinationPolicy(policies);
        broker.setPlugins(new BrokerPlugin[] {new StatisticsBrokerPlugin()});
        broker.setEnableStatistics(true);
        broker.start();
        broker.waitUntilStarted();

        FileSystemBlobTransferPolicy blobs = new FileSystemBlobTransferPolicy();
        blobs.setDefaultUploadUrl(BLOBS);
        blobs.setFileSystem(fileSystem);
        ActiveMQPrefetchPolicy prefetch = new ActiveMQPrefetchPolicy();
        prefetch.setQueuePrefetch(0);
        prefetch.setTopicPrefetch(0);
        connectionFactory = new ActiveMQConnectionFactory("vm://james?create=false");
        connectionFactory.setTrustAllPackages(false);
        connectionFactory.setBlobTransferPolicy(blobs);
        connectionFactory.setPrefetchPolicy(prefetch);

        gauges.register(QUEUE_DEPTH, () -> messagesIn(MailQueueFactory.SPOOL.asString()));
    }

    /**
     * The broker's own message count of a queue (unacknowledged messages, so delayed retries too),
     * 0 before the queue exists. A read of an in-memory counter: unlike James's
     * {@code ManageableMailQueue.getSize()}, which on ActiveMQ asks the statistics plugin over JMS and
     * waits for its answer, it can be scraped as often as one likes.
     */
    public long messagesIn(String queue) {
        if (!(broker.getRegionBroker() instanceof RegionBroker region)) {
            return 0;
        }
        Destination destination = region.getQueueRegion().getDestinationMap().get(new ActiveMQQueue(queue));
        return destination == null ? 0 : destination.getDestinationStatistics().getMessages().getCount();
    }

    public ConnectionFactory connectionFactory() {
        return connectionFactory;
    }

    @PreDestroy
    public void stop() throws Exception {
        broker.stop();
        broker.waitUntilStopped();
    }
}
