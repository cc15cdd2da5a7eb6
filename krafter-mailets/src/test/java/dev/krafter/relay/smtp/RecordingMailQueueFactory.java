package dev.krafter.relay.smtp;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.MailQueueName;
import org.apache.mailet.Mail;
import org.reactivestreams.Publisher;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** A spool that records what was enqueued (name + attributes), or fails on demand. */
final class RecordingMailQueueFactory implements MailQueueFactory<MailQueue> {
    final List<Mail> enqueued = new CopyOnWriteArrayList<>();
    final List<MailQueueName> created = new CopyOnWriteArrayList<>();
    volatile boolean failing;

    private final MailQueue queue = new MailQueue() {
        @Override
        public MailQueueName getName() {
            return MailQueueFactory.SPOOL;
        }

        @Override
        public void enQueue(Mail mail) throws MailQueueException {
            if (failing) {
                throw new MailQueueException("spool unavailable");
            }
            try {
                enqueued.add(mail.duplicate()); // the SMTP layer disposes the original
            } catch (javax.mail.MessagingException e) {
                throw new MailQueueException("copy failed", e);
            }
        }

        @Override
        public void enQueue(Mail mail, java.time.Duration delay) throws MailQueueException {
            enQueue(mail);
        }

        @Override
        public Publisher<Void> enqueueReactive(Mail mail) {
            return Mono.fromRunnable(() -> {
                throw new UnsupportedOperationException();
            });
        }

        @Override
        public Publisher<MailQueueItem> deQueue() {
            return Flux.empty();
        }

        @Override
        public void close() {
        }
    };

    @Override
    public Optional<MailQueue> getQueue(MailQueueName name, PrefetchCount count) {
        return created.contains(name) ? Optional.of(queue) : Optional.empty();
    }

    @Override
    public MailQueue createQueue(MailQueueName name, PrefetchCount count) {
        created.add(name);
        return queue;
    }

    @Override
    public Set<MailQueueName> listCreatedMailQueues() {
        return Set.copyOf(created);
    }
}
