package dev.krafter.relay.events;

import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.james.metrics.dropwizard.DropWizardMetricFactory;

import com.codahale.metrics.MetricRegistry;

/**
 * A {@link RelayEvents} over the same Dropwizard metric factory the server binds, with its own
 * registry, keeping the event lines it writes.
 */
public final class TestEvents {
    private final MetricRegistry registry = new MetricRegistry();
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final RelayEvents events = new RelayEvents(new DropWizardMetricFactory(registry),
        new EventLog(lines::add, Clock.systemUTC()));

    public RelayEvents events() {
        return events;
    }

    public MetricRegistry registry() {
        return registry;
    }

    /** The JSON lines written so far. */
    public List<String> lines() {
        return List.copyOf(lines);
    }

    /** A meter's count (0 when not registered). */
    public long count(String name) {
        return registry.getMeters().containsKey(name) ? registry.getMeters().get(name).getCount() : 0;
    }
}
