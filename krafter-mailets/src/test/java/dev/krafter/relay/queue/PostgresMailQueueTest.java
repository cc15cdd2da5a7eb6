package dev.krafter.relay.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.apache.james.core.builder.MimeMessageBuilder;
import org.apache.james.queue.api.MailQueue.MailQueueItem;
import org.apache.james.queue.api.RawMailQueueItemDecoratorFactory;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.krafter.relay.db.TestDatabase;
import reactor.core.publisher.Flux;

/** What the relay needs of its queue beyond James's contracts: retries in place, leases across nodes, outcomes retried. */
class PostgresMailQueueTest {
    private static final Duration LEASE = Duration.ofSeconds(2);

    private static TestDatabase db;

    @BeforeAll
    static void database() {
        db = TestDatabase.create();
    }

    @AfterAll
    static void drop() {
        db.close();
    }

    @BeforeEach
    void empty() {
        try (TestSpool spool = new TestSpool(db)) {
            spool.execute("DELETE FROM mail_queue");
        }
    }

    private static PostgresMailQueueFactory node(String id, QueueCompletion completion) {
        return new PostgresMailQueueFactory(db.database().dataSource(), db.database()::connectDirect,
            new QueueSettings(id, LEASE, Duration.ofMillis(100), 16), completion, new RawMailQueueItemDecoratorFactory());
    }

    private static Mail mail(String name) throws Exception {
        return FakeMail.builder().name(name).sender("sender@example.com").recipient("to@example.net")
            .mimeMessage(MimeMessageBuilder.mimeMessageBuilder().setSubject("s").setText("hello")).build();
    }

    private static int rows() {
        try (TestSpool spool = new TestSpool(db)) {
            return spool.rows();
        }
    }

    @Test
    void aRetryOfTheHeldMailRewritesItsRowAndWaitsForItsDelay() throws Exception {
        try (PostgresMailQueueFactory node = node("retry-" + UUID.randomUUID(), QueueCompletion.NONE)) {
            PostgresMailQueue queue = node.spool();
            queue.enQueue(mail("m1"));
            MailQueueItem item = Flux.from(queue.deQueue()).blockFirst(Duration.ofSeconds(10));
            item.getMail().setState("ses");
            item.getMail().setAttribute(new Attribute(AttributeName.of("krafter.attempt"), AttributeValue.of(1)));
            Instant retried = Instant.now();
            queue.enQueue(item.getMail(), Duration.ofSeconds(2));
            item.done(MailQueueItem.CompletionStatus.SUCCESS); // the spooler's done after GHOST: ends nothing more

            assertThat(rows()).isOne(); // rewritten in place, not a second copy
            MailQueueItem again = Flux.from(queue.deQueue()).blockFirst(Duration.ofSeconds(10));
            Duration waited = Duration.between(retried, Instant.now());
            assertThat(waited).isGreaterThanOrEqualTo(Duration.ofSeconds(2));
            assertThat(again.getMail().getName()).isEqualTo("m1");
            assertThat(again.getMail().getState()).isEqualTo("ses");
            assertThat(again.getMail().getAttribute(AttributeName.of("krafter.attempt")).orElseThrow().getValue().value()).isEqualTo(1);
            again.done(MailQueueItem.CompletionStatus.SUCCESS);
            assertThat(rows()).isZero();
            System.out.printf("queue: retry due after 2 s dequeued after %d ms%n", waited.toMillis());
        }
    }

    @Test
    void aLeasedMailCarriesItsRecordsStatusAsTheLeaseReadIt() throws Exception {
        dev.krafter.relay.emails.EmailRows records = new dev.krafter.relay.emails.EmailRows(db.database().dataSource());
        UUID queued = records.insertQueued("transactional");
        UUID sent = records.insertQueued("transactional");
        AttributeName status = AttributeName.of("test.record-status");
        QueueCompletion readingStatus = new QueueCompletion() {
            @Override
            public Optional<Statement> statement(Mail mail, Optional<UUID> emailId) {
                return Optional.empty();
            }

            @Override
            public Optional<LeaseReading> leaseReading() {
                return Optional.of(dev.krafter.relay.emails.DeliveryRecords.statusReading(status));
            }
        };
        try (PostgresMailQueueFactory node = node("status-" + UUID.randomUUID(), readingStatus);
             TestSpool spool = new TestSpool(db)) {
            PostgresMailQueue queue = node.spool();
            queue.enQueue(mail("queued"));
            queue.enQueue(mail("sent"));
            Mail stale = mail("no-record");  // as if put back with an earlier lease's reading
            stale.setAttribute(new Attribute(status, AttributeValue.of("queued")));
            queue.enQueue(stale);
            spool.execute("UPDATE mail_queue SET email_id = '" + queued + "' WHERE mail_name = 'queued'");
            spool.execute("UPDATE mail_queue SET email_id = '" + sent + "' WHERE mail_name = 'sent'");
            spool.execute("UPDATE emails SET status = 'sent' WHERE id = '" + sent + "'");

            List<MailQueueItem> items = Flux.from(queue.deQueue()).take(3).collectList().block(Duration.ofSeconds(10));
            java.util.Map<String, Optional<Object>> statuses = new java.util.HashMap<>();
            for (MailQueueItem item : items) {
                Mail mail = item.getMail();
                statuses.put(mail.getName(), mail.getAttribute(status).map(a -> a.getValue().value()));
                item.done(MailQueueItem.CompletionStatus.SUCCESS);
            }
            assertThat(statuses).containsEntry("queued", Optional.of("queued")).containsEntry("sent", Optional.of("sent"))
                .containsEntry("no-record", Optional.empty());
        }
    }

    @Test
    void aLeaseTakesNoMoreRowsThanAskedAndLeavesLargeMessagesForTheirDeliveryThread() throws Exception {
        byte[] large = "x".repeat(QueueRows.INLINE_MESSAGE_BYTES + 1).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        try (PostgresMailQueueFactory node = node("batch-" + UUID.randomUUID(), QueueCompletion.NONE)) {
            PostgresMailQueue queue = node.spool();
            for (int i = 0; i < 40; i++) {
                queue.enQueue(i % 2 == 0 ? mail("small-" + i)
                    : FakeMail.builder().name("large-" + i).sender("sender@example.com").recipient("to@example.net")
                        .mimeMessage(MimeMessageBuilder.mimeMessageBuilder().setSubject("large " + i)
                            .setText(new String(large, java.nio.charset.StandardCharsets.US_ASCII))).build());
            }
            List<MailQueueItem> taken = new java.util.concurrent.CopyOnWriteArrayList<>();
            var subscriber = new reactor.core.publisher.BaseSubscriber<MailQueueItem>() {
                @Override
                protected void hookOnSubscribe(org.reactivestreams.Subscription subscription) {
                    subscription.request(3);
                }

                @Override
                protected void hookOnNext(MailQueueItem item) {
                    taken.add(item);
                }
            };
            Flux.from(queue.deQueue()).subscribe(subscriber);
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> taken.size() == 3);
            Thread.sleep(300);
            try (TestSpool spool = new TestSpool(db)) {
                assertThat(spool.count("SELECT count(*) FROM mail_queue WHERE lease_owner IS NOT NULL")).as("rows leased").isEqualTo(3);
            }
            for (MailQueueItem item : taken) {
                Mail mail = item.getMail();
                if (mail.getName().startsWith("large-")) {
                    assertThat(mail.getMessage().getContent()).isEqualTo(new String(large, java.nio.charset.StandardCharsets.US_ASCII));
                }
                item.done(MailQueueItem.CompletionStatus.SUCCESS);
            }
            assertThat(taken).extracting(item -> item.getMail().getName()).containsExactly("small-0", "large-1", "small-2");
            subscriber.dispose();
            assertThat(rows()).isEqualTo(37);
        }
    }

    @Test
    void aDequeuedMailReadsItsMessageFromItsRowWithoutCopyingItAndCanStillBeEdited() throws Exception {
        String body = "y".repeat(300 * 1024);
        try (PostgresMailQueueFactory node = node("nocopy-" + UUID.randomUUID(), QueueCompletion.NONE)) {
            PostgresMailQueue queue = node.spool();
            queue.enQueue(FakeMail.builder().name("big").sender("sender@example.com").recipient("to@example.net")
                .mimeMessage(MimeMessageBuilder.mimeMessageBuilder().setSubject("big").setText(body)).build());
            MailQueueItem item = Flux.from(queue.deQueue()).blockFirst(Duration.ofSeconds(10));
            Mail mail = item.getMail();
            // James's MailImpl.setMessage would have copied it into a MimeMessageInputStreamSource (a temporary file).
            assertThat(mail.getMessage()).isInstanceOf(org.apache.james.server.core.MimeMessageWrapper.class);
            assertThat(((org.apache.james.server.core.MimeMessageWrapper) mail.getMessage()).getSourceId()).startsWith("mail_queue:");
            mail.getMessage().setHeader("X-Edited", "yes");
            mail.getMessage().saveChanges();
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            mail.getMessage().writeTo(out);
            String written = out.toString(java.nio.charset.StandardCharsets.US_ASCII);
            assertThat(written).contains("X-Edited: yes").contains("Subject: big");
            assertThat(mail.getMessage().getContent()).isEqualTo(body);
            item.done(MailQueueItem.CompletionStatus.SUCCESS);
            assertThat(rows()).isZero();
        }
    }

    @Test
    void enqueuesOfLargeMessagesWaitForTheOnesAheadInsteadOfFillingTheHeap() throws Exception {
        try (PostgresMailQueueFactory node = node("budget-" + UUID.randomUUID(), QueueCompletion.NONE)) {
            PostgresMailQueue queue = node.spool();
            int twentyMiB = 20 * 1024 * 1024;
            PostgresMailQueue.Prepared first = queue.prepare(largeMail("first", twentyMiB));
            var second = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return queue.prepare(largeMail("second", twentyMiB));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(500);
            assertThat(second).as("40 MiB is more than the enqueue budget: the second waits").isNotDone();
            first.close();
            second.get(10, java.util.concurrent.TimeUnit.SECONDS).close();
            queue.enQueue(mail("small"));  // the budget is whole again
            assertThat(rows()).isOne();
        }
    }

    @Test
    void largeMessagesReadForDeliveryWaitForTheOnesInProcess() throws Exception {
        try (PostgresMailQueueFactory node = node("read-" + UUID.randomUUID(), QueueCompletion.NONE)) {
            PostgresMailQueue queue = node.spool();
            int size = 26 * 1024 * 1024;  // two are more than the dequeue budget
            queue.enQueue(largeMail("first", size));
            queue.enQueue(largeMail("second", size));
            var items = Flux.from(queue.deQueue()).take(2).collectList().block(Duration.ofSeconds(30));
            Mail first = items.get(0).getMail();
            var second = java.util.concurrent.CompletableFuture.supplyAsync(() -> items.get(1).getMail());
            Thread.sleep(500);
            assertThat(second).as("the second message waits for the first to be done").isNotDone();
            assertThat(first.getName()).isEqualTo("first");
            items.get(0).done(MailQueueItem.CompletionStatus.SUCCESS);
            assertThat(second.get(10, java.util.concurrent.TimeUnit.SECONDS).getName()).isEqualTo("second");
            items.get(1).done(MailQueueItem.CompletionStatus.SUCCESS);
            assertThat(rows()).isZero();
        }
    }

    /** As the SMTP server hands a message over: its size known from its source. */
    private static Mail largeMail(String name, int size) throws Exception {
        byte[] message = ("Subject: " + name + "\r\n\r\n" + "z".repeat(size) + "\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        return org.apache.james.server.core.MailImpl.builder().name(name).sender("sender@example.com").addRecipient("to@example.net")
            .mimeMessage(new org.apache.james.server.core.MimeMessageWrapper(org.apache.james.server.core.MimeMessageInputStreamSource
                .create(name, new java.io.ByteArrayInputStream(message)))).build();
    }

    @Test
    void aLargeMailWhoseLeaseWasLostBeforeItsMessageWasReadIsNotDelivered() throws Exception {
        String id = "lost-" + UUID.randomUUID();
        try (PostgresMailQueueFactory node = node(id, QueueCompletion.NONE)) {
            PostgresMailQueue queue = node.spool();
            queue.enQueue(FakeMail.builder().name("large").sender("sender@example.com").recipient("to@example.net")
                .mimeMessage(MimeMessageBuilder.mimeMessageBuilder().setSubject("large")
                    .setText("y".repeat(QueueRows.INLINE_MESSAGE_BYTES + 1))).build());
            MailQueueItem item = Flux.from(queue.deQueue()).blockFirst(Duration.ofSeconds(10));
            try (TestSpool spool = new TestSpool(db)) {
                spool.execute("UPDATE mail_queue SET lease_owner = 'another-node'");  // its lease expired and another node took it
            }
            org.assertj.core.api.Assertions.assertThatThrownBy(item::getMail).hasMessageContaining("the lease was lost");
            try (TestSpool spool = new TestSpool(db)) {
                assertThat(spool.count("SELECT count(*) FROM mail_queue WHERE lease_owner = 'another-node'")).as("left to its new owner").isOne();
            }
        }
    }

    @Test
    void aDeadNodesLeaseExpiresAndAnotherNodeDeliversTheMail() throws Exception {
        PostgresMailQueueFactory dead = node("dead-" + UUID.randomUUID(), QueueCompletion.NONE);
        dead.spool().enQueue(mail("orphan"));
        MailQueueItem taken = Flux.from(dead.spool().deQueue()).blockFirst(Duration.ofSeconds(10));
        assertThat(taken.getMail().getName()).isEqualTo("orphan");
        dead.close(); // no heartbeat, no done: as after kill -9

        try (PostgresMailQueueFactory other = node("other-" + UUID.randomUUID(), QueueCompletion.NONE)) {
            Instant start = Instant.now();
            MailQueueItem item = Flux.from(other.spool().deQueue()).blockFirst(Duration.ofSeconds(30));
            Duration waited = Duration.between(start, Instant.now());
            assertThat(item.getMail().getName()).isEqualTo("orphan");
            assertThat(waited).isLessThan(LEASE.plusSeconds(5));
            item.done(MailQueueItem.CompletionStatus.SUCCESS);
            assertThat(rows()).isZero();
            System.out.printf("queue: a dead node's mail taken by another node after %d ms (lease %d ms)%n",
                waited.toMillis(), LEASE.toMillis());
        }
    }

    @Test
    void aLiveNodesLeaseIsRenewedWhileItWorks() throws Exception {
        try (PostgresMailQueueFactory busy = node("busy-" + UUID.randomUUID(), QueueCompletion.NONE);
             PostgresMailQueueFactory other = node("idle-" + UUID.randomUUID(), QueueCompletion.NONE)) {
            busy.spool().enQueue(mail("long"));
            MailQueueItem item = Flux.from(busy.spool().deQueue()).blockFirst(Duration.ofSeconds(10));
            // Three leases long: without the heartbeat the other node would take it.
            assertThat(Flux.from(other.spool().deQueue()).take(LEASE.multipliedBy(3)).collectList().block()).isEmpty();
            item.done(MailQueueItem.CompletionStatus.SUCCESS);
            assertThat(rows()).isZero();
        }
    }

    @Test
    void aRestartedNodeTakesBackItsOwnLeasesAtOnce() throws Exception {
        String id = "restarted-" + UUID.randomUUID();
        PostgresMailQueueFactory first = node(id, QueueCompletion.NONE);
        first.spool().enQueue(mail("in-process"));
        Flux.from(first.spool().deQueue()).blockFirst(Duration.ofSeconds(10));
        first.close();
        try (PostgresMailQueueFactory again = node(id, QueueCompletion.NONE)) {
            MailQueueItem item = Flux.from(again.spool().deQueue()).blockFirst(LEASE.dividedBy(2));
            assertThat(item.getMail().getName()).isEqualTo("in-process");
            item.done(MailQueueItem.CompletionStatus.SUCCESS);
        }
    }

    @Test
    void anOutcomeThatCannotBeWrittenIsRetriedUntilItLandsAndTheMailIsNotHandedOutAgain() throws Exception {
        try (TestSpool spool = new TestSpool(db)) {
            spool.execute("DROP TABLE IF EXISTS outcomes");
        }
        // Until the table exists, the outcome's statement fails, as it would with the database away.
        QueueCompletion outcome = (mail, emailId) -> Optional.of(new QueueCompletion.Statement("INSERT INTO outcomes VALUES (?)", List.of(1)));
        try (PostgresMailQueueFactory node = node("flaky-" + UUID.randomUUID(), outcome);
             PostgresMailQueueFactory other = node("watcher-" + UUID.randomUUID(), QueueCompletion.NONE)) {
            node.spool().enQueue(mail("sent-once"));
            MailQueueItem item = Flux.from(node.spool().deQueue()).blockFirst(Duration.ofSeconds(10));
            item.done(MailQueueItem.CompletionStatus.SUCCESS); // returns; the outcome is retried in the background

            // Two leases long, the mail stays held by its node: no other node gets it, the row stays.
            assertThat(Flux.from(other.spool().deQueue()).take(LEASE.multipliedBy(2)).collectList().block()).isEmpty();
            assertThat(rows()).isOne();
            try (TestSpool spool = new TestSpool(db)) {
                spool.execute("CREATE TABLE outcomes (n integer)");
            }
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> rows() == 0);
            assertThat(outcomesWritten()).isOne();
        }
    }

    @Test
    void aLeaseThatFailsIsToldAsDrainedSoNoSenderWaitsForIt() throws Exception {
        List<String> told = new java.util.concurrent.CopyOnWriteArrayList<>();
        LeaseObserver observer = (leased, drained) -> told.add(leased + (drained ? " drained" : ""));
        try (PostgresMailQueueFactory node = new PostgresMailQueueFactory(db.database().dataSource(), db.database()::connectDirect,
                 new QueueSettings("observed-" + UUID.randomUUID(), LEASE, Duration.ofMillis(100), 16), QueueCompletion.NONE,
                 new RawMailQueueItemDecoratorFactory(), observer);
             TestSpool spool = new TestSpool(db)) {
            node.spool().enQueue(mail("before"));
            List<MailQueueItem> items = new java.util.concurrent.CopyOnWriteArrayList<>();
            var subscription = Flux.from(node.spool().deQueue()).subscribe(items::add);
            try {
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> items.size() == 1);
                assertThat(told).first().isEqualTo("1 drained"); // asked for more than the one ready mail
                items.get(0).done(MailQueueItem.CompletionStatus.SUCCESS);

                spool.execute("ALTER TABLE mail_queue RENAME TO mail_queue_away"); // as if the database were away
                Thread.sleep(300); // what a lease begun before the rename told has been told: from here on each lease fails
                told.clear();
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> told.contains("0 drained"));
                spool.execute("ALTER TABLE mail_queue_away RENAME TO mail_queue");
                node.spool().enQueue(mail("after"));
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> items.size() == 2);
                assertThat(items.get(1).getMail().getName()).isEqualTo("after");
                items.get(1).done(MailQueueItem.CompletionStatus.SUCCESS);
            } finally {
                subscription.dispose();
                spool.execute("ALTER TABLE IF EXISTS mail_queue_away RENAME TO mail_queue");
            }
        }
    }

    private static int outcomesWritten() {
        try (java.sql.Connection c = db.database().dataSource().getConnection();
             var s = c.createStatement(); var rs = s.executeQuery("SELECT count(*) FROM outcomes")) {
            rs.next();
            return rs.getInt(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aMailWhoseProcessingCouldNotFinishStaysQueuedAndComesBackAfterTheDelay() throws Exception {
        QueueCompletion unfinished = new QueueCompletion() {
            @Override
            public java.util.Optional<QueueCompletion.Statement> statement(Mail mail, java.util.Optional<UUID> emailId) {
                throw new AssertionError("an unfinished mail is not completed");
            }

            @Override
            public java.util.Optional<Duration> postpone(Mail mail) {
                return mail.getAttribute(AttributeName.of("unfinished")).isPresent()
                    ? java.util.Optional.of(Duration.ofSeconds(1)) : java.util.Optional.empty();
            }
        };
        try (PostgresMailQueueFactory node = node("unfinished-" + UUID.randomUUID(), unfinished)) {
            node.spool().enQueue(mail("kept"));
            var items = Flux.from(node.spool().deQueue()).toIterable().iterator();
            MailQueueItem item = items.next();
            item.getMail().setAttribute(new Attribute(AttributeName.of("unfinished"), AttributeValue.of(true)));
            Instant done = Instant.now();
            item.done(MailQueueItem.CompletionStatus.SUCCESS);
            assertThat(rows()).isOne();
            MailQueueItem again = items.next();
            assertThat(Duration.between(done, Instant.now())).isGreaterThanOrEqualTo(Duration.ofMillis(900));
            assertThat(again.getMail().getName()).isEqualTo("kept");
            assertThat(again.getMail().getAttribute(AttributeName.of("unfinished"))).isEmpty(); // the row was not rewritten
        }
    }

    @Test
    void aMailTheSpoolerRejectsIsKeptNotDropped() throws Exception {
        try (PostgresMailQueueFactory node = node("reject-" + UUID.randomUUID(), QueueCompletion.NONE)) {
            node.spool().enQueue(mail("rejected"));
            var items = Flux.from(node.spool().deQueue()).toIterable().iterator();
            items.next().done(MailQueueItem.CompletionStatus.REJECT);
            assertThat(rows()).isOne();
            MailQueueItem again = items.next();
            assertThat(again.getMail().getName()).isEqualTo("rejected");
            again.done(MailQueueItem.CompletionStatus.SUCCESS);
            assertThat(rows()).isZero();
        }
    }
    @Test
    void anotherNodesEnqueueWakesThisNodeThroughNotifyLongBeforeItsPoll() throws Exception {
        Duration poll = Duration.ofSeconds(30);
        try (PostgresMailQueueFactory listening = new PostgresMailQueueFactory(db.database().dataSource(), db.database()::connectDirect,
                new QueueSettings("listening-" + UUID.randomUUID(), LEASE, poll, 16), QueueCompletion.NONE,
                new RawMailQueueItemDecoratorFactory());
             PostgresMailQueueFactory sending = node("sending-" + UUID.randomUUID(), QueueCompletion.NONE)) {
            var items = Flux.from(listening.spool().deQueue()).toIterable().iterator();
            Thread.sleep(1500); // the listener is connected and its consumer asleep on its 30 s poll
            long[] waits = new long[5];
            for (int n = 0; n < waits.length; n++) {
                long start = System.nanoTime();
                sending.spool().enQueue(mail("notified-" + n));
                MailQueueItem item = items.next();
                waits[n] = (System.nanoTime() - start) / 1_000_000;
                item.done(MailQueueItem.CompletionStatus.SUCCESS);
            }
            System.out.printf("queue: enqueue on one node to lease on another, woken by NOTIFY (poll %d s): %s ms%n",
                poll.toSeconds(), java.util.Arrays.toString(waits));
            assertThat(java.util.Arrays.stream(waits).max().orElseThrow()).isLessThan(5_000);
        }
    }
}
