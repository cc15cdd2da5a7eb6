package dev.krafter.relay.server;

import javax.inject.Inject;

import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.ManageableMailQueue;
import org.apache.james.utils.GuiceProbe;

import com.codahale.metrics.MetricRegistry;

/** What tests and tools read from a running relay: its metric registry and its spool queue. */
public class RelayProbe implements GuiceProbe {
    private final MetricRegistry metrics;
    private final DurableQueueBroker broker;
    private final MailQueueFactory<? extends ManageableMailQueue> queues;

    @Inject
    public RelayProbe(MetricRegistry metrics, DurableQueueBroker broker,
                      MailQueueFactory<? extends ManageableMailQueue> queues) {
        this.metrics = metrics;
        this.broker = broker;
        this.queues = queues;
    }

    /** The registry James's {@code MetricFactory} and {@code GaugeRegistry} write to (a Guice singleton). */
    public MetricRegistry metrics() {
        return metrics;
    }

    /** The spool's depth as the {@value DurableQueueBroker#QUEUE_DEPTH} gauge reads it. */
    public long spoolDepth() {
        return broker.messagesIn(MailQueueFactory.SPOOL.asString());
    }

    /** The spool's size as James's ManageableMailQueue answers it (a JMS round trip on ActiveMQ). */
    public long spoolSizeFromJames() throws Exception {
        return queues.getQueue(MailQueueFactory.SPOOL).orElseThrow().getSize();
    }
}
