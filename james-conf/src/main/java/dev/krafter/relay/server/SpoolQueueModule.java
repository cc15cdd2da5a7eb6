package dev.krafter.relay.server;

import org.apache.james.metrics.api.GaugeRegistry;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.MailQueueItemDecoratorFactory;
import org.apache.james.queue.api.ManageableMailQueue;
import org.apache.james.queue.api.RawMailQueueItemDecoratorFactory;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;

import dev.krafter.relay.emails.EmailRecords;
import dev.krafter.relay.pacing.InFlow;
import dev.krafter.relay.policy.SenderPolicy;
import dev.krafter.relay.queue.PostgresMailQueue;
import dev.krafter.relay.queue.PostgresMailQueueFactory;
import dev.krafter.relay.queue.QueueGauges;
import dev.krafter.relay.submission.Submissions;

/**
 * The spool queue in PostgreSQL and the pace of its intake ({@link InFlow}), bound where James's components look for a queue (the spooler,
 * the mailets' retries), and the accept sequence that writes to it. The factory is built and closed
 * by {@link KrafterRelayServer}, around James's own life cycle.
 */
class SpoolQueueModule extends AbstractModule {
    private final PostgresMailQueueFactory factory;
    private final QueueGauges gauges;
    private final InFlow inFlow;

    SpoolQueueModule(PostgresMailQueueFactory factory, QueueGauges gauges, InFlow inFlow) {
        this.factory = factory;
        this.gauges = gauges;
        this.inFlow = inFlow;
    }

    @Override
    protected void configure() {
        bind(PostgresMailQueueFactory.class).toInstance(factory);
        bind(QueueGauges.class).toInstance(gauges);
        bind(InFlow.class).toInstance(inFlow);
        bind(MailQueueItemDecoratorFactory.class).to(RawMailQueueItemDecoratorFactory.class);
    }

    @Provides
    @Singleton
    MailQueueFactory<? extends ManageableMailQueue> manageableQueues(GaugeRegistry registry) {
        gauges.register(registry);
        return factory;
    }

    @Provides
    @Singleton
    MailQueueFactory<?> queues(MailQueueFactory<? extends ManageableMailQueue> queues) {
        return queues;
    }

    @Provides
    @Singleton
    MailQueueFactory<? extends MailQueue> mailQueues(MailQueueFactory<? extends ManageableMailQueue> queues) {
        return factory;
    }

    @Provides
    @Singleton
    Submissions submissions(SenderPolicy policy, EmailRecords records) {
        PostgresMailQueue spool = factory.spool();
        return new Submissions(policy, records, spool);
    }
}
