package dev.krafter.relay.queue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import javax.mail.MessagingException;

import org.apache.james.queue.api.MailQueueItemDecoratorFactory;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.queue.api.ManageableMailQueue;
import org.apache.mailet.Mail;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.krafter.relay.memory.ByteBudget;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * A James mail queue in PostgreSQL, shared by every node on the database.
 *
 * <ul>
 * <li>{@code enQueue} is one autocommitted INSERT: when it returns, the mail is durable.
 *     {@link #insert} writes the same row on a caller's transaction, so a mail can be committed
 *     with other records of the caller's (the relay's email record) in one commit.</li>
 * <li>{@code deQueue} leases ready rows for this node and hands them out as the subscriber asks
 *     for them; the heartbeat keeps the leases of mail in process alive.</li>
 * <li>{@code done(SUCCESS)} deletes the row, with the {@link QueueCompletion}'s write in the same
 *     statement, unless the completion postpones the mail (its processing could not finish);
 *     {@code done(RETRY)} gives the lease back, so the mail is ready again at once;
 *     {@code done(REJECT)} (the spooler's last resort when its error handling failed) keeps the
 *     mail too, ready again after a few seconds: accepted mail is never dropped by the queue.</li>
 * <li>Enqueueing the very mail a consumer holds (a retry with a delay, the spooler's re-enqueue
 *     after an error) rewrites that row in place — new state, attributes, message and next
 *     attempt, lease released — so a retry is one update, never a second copy of the mail.</li>
 * </ul>
 */
public final class PostgresMailQueue implements ManageableMailQueue {
    private static final Logger LOGGER = LoggerFactory.getLogger(PostgresMailQueue.class);
    private static final Duration REJECTED_AGAIN_AFTER = Duration.ofSeconds(5);
    private static final int BROWSE_PAGE = 16;
    /**
     * An enqueue holds one copy of its message on the heap until the row is written; sixteen SMTP
     * connections ending 25 MiB messages at once would need 400 MiB. Beyond this many bytes at once,
     * enqueues wait for the ones ahead (each one INSERT); a larger message goes alone.
     */
    static final long ENQUEUE_BYTES_AT_ONCE = 32L * 1024 * 1024;
    /**
     * The same for the large messages read for delivery (those not read with their lease): eight
     * spooler threads taking 25 MiB messages would hold 200 MiB before the SES send's own budget.
     */
    static final long DEQUEUE_BYTES_AT_ONCE = 48L * 1024 * 1024;

    private final MailQueueName name;
    private final QueueRows rows;
    private final QueueNode node;
    private final QueueWakeups wakeups;
    private final QueueSettings settings;
    private final QueueCompletion completion;
    private final MailQueueItemDecoratorFactory decorators;
    private final PostgresMailQueueFactory.DirectConnections connections;
    private final ByteBudget enqueueBudget;
    private final ByteBudget dequeueBudget;
    /** Mail handed out and not done yet, by identity: enqueueing one of these is its retry. */
    private final Map<Mail, Item> inProcess = Collections.synchronizedMap(new IdentityHashMap<>());
    private final List<Consumer> consumers = new CopyOnWriteArrayList<>();
    private final LeaseObserver leases;

    PostgresMailQueue(MailQueueName name, QueueRows rows, QueueNode node, QueueWakeups wakeups, QueueSettings settings,
                      QueueCompletion completion, MailQueueItemDecoratorFactory decorators,
                      PostgresMailQueueFactory.DirectConnections connections, ByteBudget enqueueBudget,
                      ByteBudget dequeueBudget, LeaseObserver leases) {
        this.leases = leases;
        this.connections = connections;
        this.enqueueBudget = enqueueBudget;
        this.dequeueBudget = dequeueBudget;
        this.name = name;
        this.rows = rows;
        this.node = node;
        this.wakeups = wakeups;
        this.settings = settings;
        this.completion = completion;
        this.decorators = decorators;
    }

    @Override
    public MailQueueName getName() {
        return name;
    }

    /**
     * A mail encoded for {@link #bindInsert}; encoding reads the message once, outside any
     * transaction. It holds its share of the enqueue budget until closed: close it once the
     * statement that binds it has run.
     */
    public static final class Prepared implements AutoCloseable {
        private final MailCodec.Encoded encoded;
        private final ByteBudget.Permit permit;

        private Prepared(MailCodec.Encoded encoded, ByteBudget.Permit permit) {
            this.encoded = encoded;
            this.permit = permit;
        }

        public long size() {
            return encoded.message().length();
        }

        @Override
        public void close() {
            permit.close();
        }
    }

    public Prepared prepare(Mail mail) throws MessagingException {
        long expected = mail.getMessageSize();  // known for what the SMTP server hands over
        ByteBudget.Permit permit = expected > 0 ? enqueueBudget.acquire(expected) : null;
        try {
            MailCodec.Encoded encoded = MailCodec.encode(mail);
            return new Prepared(encoded, permit != null ? permit : enqueueBudget.acquire(encoded.message().length()));
        } catch (MessagingException | RuntimeException e) {
            if (permit != null) {
                permit.close();
            }
            throw e;
        }
    }

    /** The column list and the placeholders of an enqueue, for a caller composing it into its own statement. */
    public static String insertColumns() {
        return QueueRows.INSERT_COLUMNS;
    }

    public static String insertValues() {
        return QueueRows.INSERT_VALUES;
    }

    /** Binds {@code mail} as {@link #insertValues()} lists it, from parameter {@code first}; returns the next index. */
    public int bindInsert(Connection c, PreparedStatement s, int first, Prepared mail, Optional<UUID> emailId)
        throws SQLException {
        return QueueRows.bind(c, s, first, name.asString(), mail.encoded, emailId, Duration.ZERO);
    }

    /** Tells the consumers (here and on the other nodes) that a caller committed mail of this queue. */
    public void committed() {
        wakeups.enqueued(name.asString());
    }

    @Override
    public void enQueue(Mail mail, Duration delay) throws MailQueueException {
        Prepared prepared;
        try {
            prepared = prepare(mail);
        } catch (MessagingException e) {
            throw new MailQueueException("cannot read mail " + mail.getName() + " to queue it", e);
        }
        try (prepared) {
            Item held = inProcess.get(mail);
            if (held != null && rows.reschedule(held.id, prepared.encoded, delay)) {
                held.rescheduled = true;
            } else {
                rows.insert(name.asString(), prepared.encoded, emailIdOf(held), delay);
            }
        } catch (SQLException e) {
            throw new MailQueueException("could not queue mail " + mail.getName() + ": " + e.getMessage(), e);
        }
        wakeups.enqueued(name.asString());
    }

    private static Optional<UUID> emailIdOf(Item held) {
        return held == null ? Optional.empty() : held.emailId;
    }

    @Override
    public void enQueue(Mail mail) throws MailQueueException {
        enQueue(mail, Duration.ZERO);
    }

    @Override
    public Publisher<Void> enqueueReactive(Mail mail) {
        return Mono.<Void>fromRunnable(() -> {
            try {
                enQueue(mail);
            } catch (MailQueueException e) {
                throw new IllegalStateException(e);
            }
        }).subscribeOn(Schedulers.boundedElastic());
    }

    @Override
    public Publisher<MailQueueItem> deQueue() {
        return Flux.create(sink -> {
            Consumer consumer = new Consumer(sink);
            consumers.add(consumer);
            sink.onRequest(consumer::request);
            sink.onDispose(consumer::stop);
            consumer.start();
        }, FluxSink.OverflowStrategy.BUFFER);
    }

    @Override
    public long getSize() throws MailQueueException {
        return sql(() -> rows.count(name.asString()));
    }

    @Override
    public long flush() throws MailQueueException {
        long flushed = sql(() -> rows.flush(name.asString()));
        wakeups.enqueued(name.asString());
        return flushed;
    }

    @Override
    public long clear() throws MailQueueException {
        return sql(() -> rows.clear(name.asString()));
    }

    @Override
    public long remove(Type type, String value) throws MailQueueException {
        return sql(() -> switch (type) {
            case Name -> rows.removeByName(name.asString(), value);
            case Sender -> rows.removeBySender(name.asString(), value);
            case Recipient -> rows.removeByRecipient(name.asString(), value);
        });
    }

    /** Pages through the queue, a few rows at a time: a backlog of large messages is never all in memory. */
    @Override
    public MailQueueIterator browse() {
        return new MailQueueIterator() {
            private Iterator<QueueRows.Row> page = Collections.emptyIterator();
            private long last = 0;
            private boolean exhausted;

            @Override
            public boolean hasNext() {
                if (!page.hasNext() && !exhausted) {
                    try {
                        List<QueueRows.Row> next = rows.browse(name.asString(), last, BROWSE_PAGE);
                        exhausted = next.size() < BROWSE_PAGE;
                        page = next.iterator();
                    } catch (SQLException e) {
                        throw new IllegalStateException("could not browse queue " + name.asString() + ": " + e.getMessage(), e);
                    }
                }
                return page.hasNext();
            }

            @Override
            public MailQueueItemView next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                QueueRows.Row row = page.next();
                last = row.id();
                try {
                    return new DefaultMailQueueItemView(row.mail(), row.nextAttempt().atZone(ZoneOffset.UTC));
                } catch (MessagingException e) {
                    throw new IllegalStateException("queue " + name.asString() + ": mail_queue row " + row.id() + " cannot be read", e);
                }
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public void close() {
        consumers.forEach(Consumer::stop);
    }

    @FunctionalInterface
    private interface Sql {
        long run() throws SQLException;
    }

    private long sql(Sql sql) throws MailQueueException {
        try {
            return sql.run();
        } catch (SQLException e) {
            throw new MailQueueException("queue " + name.asString() + ": " + e.getMessage(), e);
        }
    }

    /** One leased mail. */
    private final class Item implements MailQueueItem {
        private final long id;
        private final Optional<UUID> emailId;
        private final String mailName;
        private QueueRows.Row row;  // until decoded
        private Mail mail;
        private ByteBudget.Permit read;  // a large message's share of the dequeue budget, until done
        private volatile boolean rescheduled;
        private volatile boolean done;

        Item(QueueRows.Row row) {
            this.id = row.id();
            this.row = row;
            this.emailId = row.emailId();
            this.mailName = row.name();
        }

        /** Decoded on first use, on the spooler thread that delivers it. */
        @Override
        public synchronized Mail getMail() {
            if (mail == null) {
                try {
                    mail = row.message() != null ? row.mail() : row.mail(readMessage());
                } catch (SQLException | MessagingException | RuntimeException e) {
                    releaseRead();
                    done = true;
                    postpone(REJECTED_AGAIN_AFTER);
                    throw new IllegalStateException("queue " + name.asString() + ": mail_queue row " + id + " cannot be read: " + e.getMessage(), e);
                }
                row = null;  // the mail holds what it needs; the row's copy of the attributes can go
                inProcess.put(mail, this);
            }
            return mail;
        }

        private byte[] readMessage() throws SQLException, MessagingException {
            read = dequeueBudget.acquire(row.size());
            return rows.message(id, node.id()).orElseThrow(() -> new MessagingException("the lease was lost before the message was read"));
        }

        private synchronized void releaseRead() {
            if (read != null) {
                read.close();
                read = null;
            }
        }

        @Override
        public void done(CompletionStatus status) throws MailQueueException {
            if (done) {
                return;
            }
            done = true;
            Mail mail = getMail();
            releaseRead();
            inProcess.remove(mail);
            if (rescheduled) {
                node.release(id);
                return;
            }
            Optional<Duration> postponed = status == CompletionStatus.REJECT
                ? Optional.of(REJECTED_AGAIN_AFTER) : completion.postpone(mail);
            if (postponed.isPresent()) {
                // Unfinished (or rejected by the spooler, whose own error handling failed): a relay keeps
                // accepted mail rather than drop it. If the database is away, the lease runs out instead.
                postpone(postponed.get());
                return;
            }
            if (status == CompletionStatus.RETRY) {
                node.release(id);
                try {
                    rows.release(id, node.id());
                } catch (SQLException e) {
                    LOGGER.warn("queue: could not give back mail {} ({}); it is ready again when its lease expires", mail.getName(), e.getMessage());
                }
                wakeups.enqueued(name.asString());
                return;
            }
            Optional<QueueCompletion.Statement> outcome = completion.statement(mail, emailId);
            try {
                rows.complete(id, outcome);
                node.release(id);
            } catch (SQLException e) {
                LOGGER.warn("queue: the outcome of mail {} could not be written ({}); retrying it, not the mail",
                    mail.getName(), e.getMessage());
                node.retryUntilDone(id, "the outcome of mail " + mail.getName(), () -> rows.complete(id, outcome));
            }
        }

        /** Gives the lease back; ready again after {@code delay}. If the database is away, the lease runs out instead. */
        private void postpone(Duration delay) {
            node.release(id);
            try {
                rows.postpone(id, node.id(), delay);
            } catch (SQLException e) {
                LOGGER.warn("queue: mail {} stays queued; ready again when its lease expires ({})", mailName, e.getMessage());
            }
        }
    }

    /** One subscription to {@link #deQueue()}: leases as many ready rows as it was asked for. */
    private final class Consumer {
        private final FluxSink<MailQueueItem> sink;
        private final AtomicLong demand = new AtomicLong();
        private final QueueWakeups.Bell bell = new QueueWakeups.Bell();
        private final Thread thread;
        private volatile boolean running = true;

        Consumer(FluxSink<MailQueueItem> sink) {
            this.sink = sink;
            this.thread = new Thread(this::run, "krafter-queue-" + name.asString());
            thread.setDaemon(true);
        }

        void start() {
            wakeups.register(name.asString(), bell);
            thread.start();
        }

        void request(long n) {
            demand.accumulateAndGet(n, (a, b) -> a + b < 0 ? Long.MAX_VALUE : a + b);
            bell.ring();
        }

        void stop() {
            running = false;
            consumers.remove(this);
            wakeups.unregister(name.asString(), bell);
            bell.ring();
        }

        private void run() {
            long failures = 0;
            java.sql.Connection connection = null;
            while (running) {
                try {
                    if (connection == null) {
                        connection = QueueRows.consumerConnection(connections.open());
                    }
                    if (failures > 0) {
                        // The failed lease query may have committed with its answer lost: give back what we do not hold.
                        int released = rows.releaseUnheld(connection, name.asString(), node.id(), node.held());
                        if (released > 0) {
                            LOGGER.info("queue {}: {} mail(s) leased by a lost answer are ready again", name.asString(), released);
                        }
                    }
                    long wanted = Math.min(demand.get(), settings.batch());
                    if (wanted <= 0) {
                        bell.await(settings.poll().toMillis());
                        continue;
                    }
                    List<QueueRows.Row> leased = rows.lease(connection, name.asString(), node.id(), settings.lease(), (int) wanted);
                    failures = 0;
                    leases.leased(leased.size(), leased.size() < wanted);
                    if (leased.isEmpty()) {
                        bell.await(settings.poll().toMillis());
                        continue;
                    }
                    for (QueueRows.Row row : leased) {
                        Item item = new Item(row);
                        node.hold(item.id);
                        if (demand.get() != Long.MAX_VALUE) {
                            demand.decrementAndGet();
                        }
                        sink.next(decorators.decorate(item, name));
                    }
                } catch (InterruptedException e) {
                    break;
                } catch (SQLException | RuntimeException e) {
                    failures++;
                    closeQuietly(connection);
                    connection = null;
                    // Nothing is leased until the database answers: holding senders back would not speed delivery up.
                    leases.leased(0, true);
                    if (failures == 1 || failures % 60 == 0) {
                        LOGGER.warn("queue {}: cannot lease mail ({}); trying again", name.asString(), e.getMessage());
                    }
                    try {
                        bell.await(settings.poll().toMillis());
                    } catch (InterruptedException interrupted) {
                        break;
                    }
                }
            }
            closeQuietly(connection);
        }
    }

    private static void closeQuietly(java.sql.Connection connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                // broken already
            }
        }
    }
}
