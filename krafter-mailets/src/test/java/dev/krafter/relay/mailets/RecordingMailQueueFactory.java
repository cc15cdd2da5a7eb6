package dev.krafter.relay.mailets;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import javax.mail.MessagingException;

import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Mail;
import org.reactivestreams.Publisher;

/**
 * A stand-in for James's queue (not ours): records what was enqueued, with its delay. Like the real
 * queues it stores a copy, taken at enqueue time, so later changes to the mail (GHOST) do not show.
 */
final class RecordingMailQueueFactory implements MailQueueFactory<RecordingMailQueueFactory.RecordingQueue> {

    record Enqueued(Mail mail, Duration delay) {
    }

    static final class RecordingQueue implements MailQueue {
        private final MailQueueName name;
        private final List<Enqueued> enqueued = new CopyOnWriteArrayList<>();

        RecordingQueue(MailQueueName name) {
            this.name = name;
        }

        List<Enqueued> enqueued() {
            return enqueued;
        }

        @Override
        public MailQueueName getName() {
            return name;
        }

        @Override
        public void enQueue(Mail mail, Duration delay) throws MailQueueException {
            try {
                MailImpl copy = MailImpl.duplicate(mail);
                // The real queues store the state (JAMES_MAIL_STATE); duplicate() does not copy it.
                copy.setState(mail.getState());
                enqueued.add(new Enqueued(copy, delay));
            } catch (MessagingException e) {
                throw new MailQueueException("copy failed", e);
            }
        }

        @Override
        public void enQueue(Mail mail) throws MailQueueException {
            enQueue(mail, Duration.ZERO);
        }

        @Override
        public Publisher<Void> enqueueReactive(Mail mail) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Publisher<MailQueueItem> deQueue() {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close() {
        }
    }

    private final ConcurrentHashMap<MailQueueName, RecordingQueue> queues = new ConcurrentHashMap<>();

    RecordingQueue spool() {
        return createQueue(SPOOL);
    }

    @Override
    public Optional<RecordingQueue> getQueue(MailQueueName name, PrefetchCount count) {
        return Optional.ofNullable(queues.get(name));
    }

    @Override
    public RecordingQueue createQueue(MailQueueName name, PrefetchCount count) {
        return queues.computeIfAbsent(name, RecordingQueue::new);
    }

    @Override
    public Set<MailQueueName> listCreatedMailQueues() {
        return Set.copyOf(queues.keySet());
    }
}
