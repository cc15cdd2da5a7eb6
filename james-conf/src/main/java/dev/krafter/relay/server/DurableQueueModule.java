package dev.krafter.relay.server;

import java.io.FileNotFoundException;

import javax.jms.ConnectionFactory;

import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.queue.activemq.ActiveMQConfiguration;
import org.apache.james.queue.activemq.ActiveMQMailQueueFactory;
import org.apache.james.metrics.api.Gauge;
import org.apache.james.metrics.api.GaugeRegistry;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.queue.activemq.metric.ActiveMQMetricCollector;
import org.apache.james.queue.api.MailQueueItemDecoratorFactory;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.ManageableMailQueue;
import org.apache.james.utils.PropertiesProvider;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Scopes;
import com.google.inject.Singleton;

/**
 * James's ActiveMQ mail queue: a single-node persistent queue (KahaDB journal under
 * var/store/activemq, message bodies as blob files). Upstream's {@code ActiveMQQueueModule} is
 * not published for 3.8.1, so this is its equivalent, with JMX off (the relay exposes no MBeans)
 * and our {@link DurableQueueBroker} instead of James's {@code EmbeddedActiveMQ}.
 */
public class DurableQueueModule extends AbstractModule {
    /** One per SMTP event loop (smtpserver.xml ioWorkerCount), where the end-of-DATA hook enqueues. */
    static final int ENQUEUE_CONNECTIONS = 16;

    @Override
    protected void configure() {
        bind(DurableQueueBroker.class).in(Scopes.SINGLETON);
        bind(ActiveMQMetricCollector.class).toInstance(new ActiveMQMetricCollector() {
            @Override
            public void start() {
            }

            @Override
            public void stop() {
            }

            @Override
            public void collectBrokerStatistics() {
            }

            @Override
            public void collectQueueStatistics(org.apache.james.queue.api.MailQueueName queueName) {
            }
        });
    }

    @Provides
    @Singleton
    ConnectionFactory connectionFactory(DurableQueueBroker broker) {
        return broker.connectionFactory();
    }

    @Provides
    @Singleton
    ActiveMQMailQueueFactory queueFactory(ConnectionFactory connectionFactory, MailQueueItemDecoratorFactory decorators,
                                          MetricFactory metrics, GaugeRegistry gauges, ActiveMQMetricCollector collector) {
        return new ActiveMQMailQueueFactory(connectionFactory, decorators, metrics, gauges, collector) {
            @Override
            protected ManageableMailQueue createCacheableMailQueue(MailQueueName name) {
                return new ParallelEnqueueMailQueue(connectionFactory, decorators, name, metrics,
                    withoutQueueSizeGauge(gauges), ENQUEUE_CONNECTIONS);
            }
        };
    }

    /**
     * James's queue registers a {@code mailQueueSize:<queue>} gauge that asks the broker over JMS at
     * every read (3-5 ms, on the connection enqueues use), i.e. at every Prometheus scrape;
     * {@link DurableQueueBroker#QUEUE_DEPTH} reads the broker's own counter instead.
     */
    private static GaugeRegistry withoutQueueSizeGauge(GaugeRegistry gauges) {
        return new GaugeRegistry() {
            @Override
            public <T> GaugeRegistry register(String name, Gauge<T> gauge) {
                if (!name.startsWith("mailQueueSize")) {
                    gauges.register(name, gauge);
                }
                return this;
            }

            @Override
            public <T> SettableGauge<T> settableGauge(String name) {
                return gauges.settableGauge(name);
            }
        };
    }

    @Provides
    @Singleton
    MailQueueFactory<? extends ManageableMailQueue> manageableQueues(ActiveMQMailQueueFactory factory) {
        factory.setUseJMX(false);
        factory.init();
        return factory;
    }

    @Provides
    @Singleton
    MailQueueFactory<?> queues(MailQueueFactory<? extends ManageableMailQueue> factory) {
        return factory;
    }

    @Provides
    @Singleton
    MailQueueFactory<? extends MailQueue> mailQueues(ActiveMQMailQueueFactory factory) {
        return factory;
    }

    @Provides
    @Singleton
    ActiveMQConfiguration configuration(PropertiesProvider propertiesProvider) throws ConfigurationException {
        try {
            return ActiveMQConfiguration.from(propertiesProvider.getConfigurations("activemq"));
        } catch (FileNotFoundException e) {
            return ActiveMQConfiguration.getDefault();
        }
    }
}
