package dev.krafter.relay.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.apikey.ApiKeyStore;
import dev.krafter.relay.apikey.StoreException;
import dev.krafter.relay.db.Database;
import dev.krafter.relay.db.TestDatabase;

/** Against a real PostgreSQL: the record, the rollback, and the sandbox cap under concurrency. */
class EmailRecordsTest {
    private static final ResolvedPolicy TRANSACTIONAL =
        new ResolvedPolicy(Stream.TRANSACTIONAL, false, "krafter-transactional", false);
    private static final MessageFacts FACTS = new MessageFacts("hello@yourdomain.com",
        List.of("recipient@example.com"), "SMTP Test", "<abc@yourdomain.com>", 1234);

    private static TestDatabase db;
    private static ApiKeyStore keys;
    private static EmailRecords records;

    @BeforeAll
    static void start() {
        db = TestDatabase.create();
        keys = new ApiKeyStore(db.database().dataSource(), Duration.ZERO);
        records = new EmailRecords(db.database().dataSource());
    }

    @AfterAll
    static void stop() {
        db.close();
    }

    private static ApiKey key(String account) {
        return keys.create(account, Set.of(ApiKey.SEND_SCOPE), Set.of("transactional", "broadcast"), false).key();
    }

    private static ApiKey sandboxKey(String account, int cap) {
        ApiKey key = keys.create(account, Set.of(ApiKey.SEND_SCOPE), Set.of("transactional", "broadcast"), true).key();
        ApiKey.Sandbox sandbox = new ApiKey.Sandbox(true, Set.of("recipient@example.com"), cap);
        keys.setSandbox(account, sandbox);
        return new ApiKey(key.id(), key.accountId(), key.prefix(), key.scopes(), key.allowedStreams(), false, sandbox);
    }

    private static UUID accepted(AcceptOutcome outcome) {
        assertThat(outcome).isInstanceOf(AcceptOutcome.Accepted.class);
        return ((AcceptOutcome.Accepted) outcome).emailId();
    }

    private static int count(String account) {
        try (Connection c = db.database().dataSource().getConnection();
             PreparedStatement s = c.prepareStatement("SELECT count(*) FROM emails WHERE account_id = ?")) {
            s.setString(1, account);
            var rs = s.executeQuery();
            rs.next();
            return rs.getInt(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void recordsTheMessageAsQueuedAndCallsTheCallbackWithItsId() {
        ApiKey key = key("acct-record");
        List<UUID> enqueued = new ArrayList<>();
        ResolvedPolicy broadcast = new ResolvedPolicy(Stream.BROADCAST, false, "krafter-broadcast-untracked", true);
        UUID id = accepted(records.accept(key, broadcast, new MessageFacts("", List.of("a@example.com", "b@example.org"),
            "Sub\0ject", null, 42), enqueued::add));

        assertThat(enqueued).containsExactly(id);
        EmailRecord record = records.find(id).orElseThrow();
        assertThat(record.accountId()).isEqualTo("acct-record");
        assertThat(record.apiKeyId()).isEqualTo(key.id());
        assertThat(record.stream()).isEqualTo("broadcast");
        assertThat(record.tracking()).isFalse();
        assertThat(record.configurationSet()).isEqualTo("krafter-broadcast-untracked");
        assertThat(record.envelopeFrom()).isEmpty();
        assertThat(record.envelopeTo()).containsExactly("a@example.com", "b@example.org");
        assertThat(record.subject()).isEqualTo("Subject"); // NUL dropped: PostgreSQL TEXT refuses it
        assertThat(record.messageId()).isNull();
        assertThat(record.sizeBytes()).isEqualTo(42);
        assertThat(record.status()).isEqualTo("queued");
        assertThat(record.sesMessageId()).isNull();
        assertThat(record.error()).isNull();
        assertThat(record.attempts()).isZero();
        assertThat(record.createdAt()).isNotNull();
        assertThat(record.sentAt()).isNull();
    }

    @Test
    void theRecordIsCommittedBeforeTheCallback() {
        ApiKey key = key("acct-order");
        AtomicInteger seenDuringCallback = new AtomicInteger(-1);
        records.accept(key, TRANSACTIONAL, FACTS, id -> seenDuringCallback.set(count("acct-order")));
        assertThat(seenDuringCallback.get()).isOne(); // committed before the enqueue: the spooler always finds it
        assertThat(count("acct-order")).isOne();
    }

    @Test
    void aFailingCallbackLeavesNoRecord() {
        ApiKey key = key("acct-rollback");
        List<UUID> ids = new ArrayList<>();
        assertThatThrownBy(() -> records.accept(key, TRANSACTIONAL, FACTS, id -> {
            ids.add(id);
            throw new java.io.IOException("queue down");
        })).isInstanceOf(EmailRecords.EnqueueFailedException.class).hasRootCauseMessage("queue down");

        assertThat(records.find(ids.get(0))).isEmpty();
        assertThat(count("acct-rollback")).isZero();
    }

    @Test
    void aFailingCallbackOfASandboxSendLeavesNoRecordAndReleasesTheLock() {
        ApiKey key = sandboxKey("acct-sandbox-rollback", 1);
        assertThatThrownBy(() -> records.accept(key, TRANSACTIONAL, FACTS, id -> {
            throw new IllegalStateException("boom");
        })).isInstanceOf(EmailRecords.EnqueueFailedException.class);
        assertThat(count("acct-sandbox-rollback")).isZero();
        accepted(records.accept(key, TRANSACTIONAL, FACTS, id -> { }));
    }

    @Test
    void theSandboxCapIsARolling24HourCountPerAccount() throws SQLException {
        ApiKey key = sandboxKey("acct-cap", 3);
        for (int i = 0; i < 3; i++) {
            accepted(records.accept(key, TRANSACTIONAL, FACTS, id -> { }));
        }
        AtomicInteger calls = new AtomicInteger();
        AcceptOutcome refused = records.accept(key, TRANSACTIONAL, FACTS, id -> calls.incrementAndGet());
        assertThat(refused).isEqualTo(PolicyViolation.sandboxCapExceeded(3));
        assertThat(((PolicyViolation) refused).smtpText())
            .isEqualTo("5.7.1 sandbox accounts may send at most 3 emails per rolling 24 hours; the limit is reached");
        assertThat(calls.get()).isZero();
        assertThat(count("acct-cap")).isEqualTo(3);

        // One of the three is now older than 24 hours: one more send fits.
        try (Connection c = db.database().dataSource().getConnection();
             PreparedStatement age = c.prepareStatement("""
                 UPDATE emails SET created_at = now() - interval '24 hours 1 second'
                  WHERE id = (SELECT id FROM emails WHERE account_id = 'acct-cap' LIMIT 1)""")) {
            age.executeUpdate();
        }
        accepted(records.accept(key, TRANSACTIONAL, FACTS, id -> { }));
        assertThat(records.accept(key, TRANSACTIONAL, FACTS, id -> { })).isInstanceOf(PolicyViolation.class);
    }

    @Test
    void theCapComesFromTheDatabaseNotFromACachedKey() {
        ApiKey cached = sandboxKey("acct-fresh", 1);
        accepted(records.accept(cached, TRANSACTIONAL, FACTS, id -> { }));
        keys.setSandbox("acct-fresh", new ApiKey.Sandbox(true, cached.sandbox().allowedRecipients(), 2));
        accepted(records.accept(cached, TRANSACTIONAL, FACTS, id -> { }));
        keys.setSandbox("acct-fresh", ApiKey.Sandbox.OFF);
        accepted(records.accept(cached, TRANSACTIONAL, FACTS, id -> { }));
    }

    @Test
    void otherAccountsDoNotCount() {
        ApiKey capped = sandboxKey("acct-capped-alone", 1);
        ApiKey other = key("acct-busy");
        for (int i = 0; i < 3; i++) {
            accepted(records.accept(other, TRANSACTIONAL, FACTS, id -> { }));
        }
        accepted(records.accept(capped, TRANSACTIONAL, FACTS, id -> { }));
    }

    @Test
    void exactlyTheCapIsAcceptedWith16ConcurrentSenders() throws Exception {
        ApiKey key = sandboxKey("acct-concurrent", 5);
        List<AcceptOutcome> outcomes = sendConcurrently(key, 16, List.of(records));
        assertThat(outcomes).filteredOn(AcceptOutcome.Accepted.class::isInstance).hasSize(5);
        assertThat(outcomes).filteredOn(PolicyViolation.class::isInstance).hasSize(11)
            .allSatisfy(o -> assertThat(((PolicyViolation) o).code()).isEqualTo(PolicyViolation.Code.SANDBOX_CAP_EXCEEDED));
        assertThat(count("acct-concurrent")).isEqualTo(5);
    }

    @Test
    void theCapHoldsAcrossTwoRelayProcessesOnOneDatabase() throws Exception {
        // Two connection pools stand for two relay processes: they share nothing but PostgreSQL.
        try (Database second = Database.connect(db.settings())) {
            ApiKey key = sandboxKey("acct-two-processes", 7);
            List<AcceptOutcome> outcomes = sendConcurrently(key, 16, List.of(records, new EmailRecords(second.dataSource())));
            assertThat(outcomes).filteredOn(AcceptOutcome.Accepted.class::isInstance).hasSize(7);
            assertThat(count("acct-two-processes")).isEqualTo(7);
        }
    }

    /**
     * {@code senders} threads start together; each callback sleeps, holding its transaction open
     * (as a real enqueue does), so a count that ignored the lock would let most of them through.
     */
    private static List<AcceptOutcome> sendConcurrently(ApiKey key, int senders, List<EmailRecords> processes)
        throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(senders);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<AcceptOutcome>> futures = new ArrayList<>();
            for (int i = 0; i < senders; i++) {
                EmailRecords process = processes.get(i % processes.size());
                Callable<AcceptOutcome> send = () -> {
                    start.await();
                    return process.accept(key, TRANSACTIONAL, FACTS, id -> Thread.sleep(20));
                };
                futures.add(pool.submit(send));
            }
            start.countDown();
            List<AcceptOutcome> outcomes = new ArrayList<>();
            for (Future<AcceptOutcome> f : futures) {
                outcomes.add(f.get(60, TimeUnit.SECONDS));
            }
            return outcomes;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aDatabaseThatCannotBeReachedIsAStoreException() {
        try (Database dead = Database.connect(new dev.krafter.relay.db.DatabaseSettings(
            "jdbc:postgresql://127.0.0.1:1/none", "x", "x", 1, 500, 1))) {
            EmailRecords unreachable = new EmailRecords(dead.dataSource());
            AtomicInteger calls = new AtomicInteger();
            assertThatThrownBy(() -> unreachable.accept(key("acct-dead"), TRANSACTIONAL, FACTS, id -> calls.incrementAndGet()))
                .isInstanceOf(StoreException.class);
            assertThat(calls.get()).isZero();
        }
    }

    @Test
    void findOfAnUnknownIdIsEmpty() {
        assertThat(records.find(UUID.randomUUID())).isEmpty();
    }

    static DataSource dataSource() {
        return db.database().dataSource();
    }
}
