package dev.krafter.relay.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.metrics.api.NoopGaugeRegistry;
import org.apache.james.metrics.dropwizard.DropWizardMetricFactory;
import org.apache.james.queue.api.MailQueue.MailQueueItem.CompletionStatus;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.RawMailQueueItemDecoratorFactory;
import org.apache.james.server.core.JamesServerResourceLoader;
import org.apache.james.server.core.MailImpl;
import org.apache.james.server.core.filesystem.FileSystemImpl;
import org.apache.mailet.Mail;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.codahale.metrics.MetricRegistry;

import reactor.core.publisher.Flux;

/**
 * The spool queue with enqueues spread over several JMS connections, on a real embedded broker
 * (KahaDB in a temporary directory): messages enqueued at once from more threads than there are
 * producer connections all arrive, once each, with their own bodies, and the queue is empty after.
 */
class ParallelEnqueueMailQueueTest {
    private static final int PRODUCERS = 4;
    private static final int THREADS = 8;
    private static final int EACH = 10;

    @TempDir
    Path home;

    @Test
    void concurrentEnqueuesAllArriveOnceWithTheirOwnBodies() throws Exception {
        DurableQueueBroker broker = new DurableQueueBroker(new FileSystemImpl(new JamesServerResourceLoader(home.toString())),
            new NoopGaugeRegistry());
        ParallelEnqueueMailQueue queue = new ParallelEnqueueMailQueue(broker.connectionFactory(),
            new RawMailQueueItemDecoratorFactory(), MailQueueFactory.SPOOL,
            new DropWizardMetricFactory(new MetricRegistry()), new NoopGaugeRegistry(), PRODUCERS);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> sends = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                sends.add(pool.submit(() -> {
                    for (int i = 0; i < EACH; i++) {
                        queue.enQueue(mail("m-" + thread + "-" + i));
                    }
                    return null;
                }));
            }
            for (Future<?> send : sends) {
                send.get(2, TimeUnit.MINUTES);
            }

            Map<String, String> bodies = new ConcurrentHashMap<>();
            Flux.from(queue.deQueue())
                .take(THREADS * EACH)
                .doOnNext(item -> {
                    Mail mail = item.getMail();
                    bodies.merge(mail.getName(), body(mail), (a, b) -> "duplicate");
                    try {
                        item.done(CompletionStatus.SUCCESS);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                })
                .blockLast(Duration.ofMinutes(2));

            assertThat(bodies).hasSize(THREADS * EACH);
            bodies.forEach((name, body) -> assertThat(body).as(name).contains("body of " + name + "\r\n"));
            assertThat(queue.getSize()).isZero();
        } finally {
            pool.shutdownNow();
            queue.dispose();
            broker.stop();
        }
    }

    private static Mail mail(String name) throws Exception {
        String raw = "From: a@example.com\r\nTo: b@example.com\r\nSubject: " + name + "\r\n\r\nbody of " + name + "\r\n";
        MimeMessage message = new MimeMessage(Session.getDefaultInstance(new Properties()),
            new ByteArrayInputStream(raw.getBytes(StandardCharsets.US_ASCII)));
        return MailImpl.builder().name(name).sender("a@example.com").addRecipient("b@example.com")
            .mimeMessage(message).build();
    }

    private static String body(Mail mail) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            mail.getMessage().writeTo(out);
            return out.toString(StandardCharsets.US_ASCII);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
