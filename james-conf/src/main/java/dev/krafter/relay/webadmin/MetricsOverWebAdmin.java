package dev.krafter.relay.webadmin;

import javax.inject.Inject;

import org.apache.james.webadmin.Routes;
import org.apache.james.webadmin.dropwizard.MetricsRoutes;

import com.codahale.metrics.MetricRegistry;

import spark.Service;

/**
 * James's {@link MetricsRoutes} (GET /metrics: the Dropwizard registry in Prometheus text format),
 * behind the admin token: upstream marks it public, and the relay's WebAdmin has no public routes.
 */
public final class MetricsOverWebAdmin implements Routes {
    private final MetricsRoutes metrics;

    @Inject
    MetricsOverWebAdmin(MetricRegistry registry) {
        this.metrics = new MetricsRoutes(registry);
    }

    @Override
    public String getBasePath() {
        return MetricsRoutes.BASE;
    }

    @Override
    public void define(Service service) {
        metrics.define(service);
    }
}
