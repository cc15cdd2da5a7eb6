package dev.krafter.relay.server;

import javax.inject.Inject;

import org.apache.james.utils.GuiceProbe;

import com.codahale.metrics.MetricRegistry;

import dev.krafter.relay.queue.PostgresMailQueueFactory;
import dev.krafter.relay.queue.QueueGauges;

/** What tests and tools read from a running relay: its metric registry and its spool queue. */
public class RelayProbe implements GuiceProbe {
    private final MetricRegistry metrics;
    private final PostgresMailQueueFactory queues;
    private final QueueGauges gauges;

    @Inject
    public RelayProbe(MetricRegistry metrics, PostgresMailQueueFactory queues, QueueGauges gauges) {
        this.metrics = metrics;
        this.queues = queues;
        this.gauges = gauges;
    }

    /** The registry James's {@code MetricFactory} and {@code GaugeRegistry} write to (a Guice singleton). */
    public MetricRegistry metrics() {
        return metrics;
    }

    /** The spool's depth over every node, as the {@value QueueGauges#DEPTH} gauge reads it. */
    public long spoolDepth() {
        return gauges.snapshot().depth();
    }

    /** The spool's size as James's ManageableMailQueue answers it (a count on the queue table). */
    public long spoolSizeFromJames() throws Exception {
        return queues.spool().getSize();
    }

    /** This node's name on the shared queue. */
    public String nodeId() {
        return queues.nodeId();
    }
}
