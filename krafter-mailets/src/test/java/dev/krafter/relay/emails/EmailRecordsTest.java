package dev.krafter.relay.emails;

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
import dev.krafter.relay.db.StoreException;
import dev.krafter.relay.db.Database;
import dev.krafter.relay.policy.AcceptOutcome;
import dev.krafter.relay.policy.MessageFacts;
import dev.krafter.relay.policy.PolicyViolation;
import dev.krafter.relay.policy.ResolvedPolicy;
import dev.krafter.relay.policy.Stream;
import dev.krafter.relay.db.TestDatabase;
import dev.krafter.relay.queue.TestSpool;
import dev.krafter.relay.submission.Submissions;

/** Against a real PostgreSQL: the record with its queue row, the rollback, and the sandbox cap under concurrency. */
class EmailRecordsTest {
    private static final ResolvedPolicy TRANSACTIONAL =
        new ResolvedPolicy(Stream.TRANSACTIONAL, false, "krafter-transactional", false);
    private static final MessageFacts FACTS = new MessageFacts("hello@yourdomain.com",
        List.of("recipient@example.com"), "SMTP Test", "<abc@yourdomain.com>", 1234);

    private static TestDatabase db;
    private static ApiKeyStore keys;
    private static EmailRecords records;
    private static TestSpool spool;

    @BeforeAll
    static void start() {
        db = TestDatabase.create();
        keys = new ApiKeyStore(db.database().dataSource(), Duration.ZERO);
        records = new EmailRecords(db.database().dataSource());
        spool = new TestSpool(db);
    }

    @AfterAll
    static void stop() {
        spool.close();
        db.close();
    }

    /** Records a message under a new id with its spool row, as the accept sequence does. */
    private static AcceptOutcome accept(EmailRecords records, ApiKey key, ResolvedPolicy policy, MessageFacts facts) {
        UUID id = UUID.randomUUID();
        return records.accept(id, key, policy, facts, Submissions.queueRow(spool.spool(), spool.prepared(), id));
    }

    /** A queue row the database refuses (no queue name): the statement, and so the record, fails. */
    private static EmailRecords.QueueRow refusedRow(UUID id) {
        EmailRecords.QueueRow row = Submissions.queueRow(spool.spool(), spool.prepared(), id);
        return new EmailRecords.QueueRow() {
            @Override
            public String columns() {
                return row.columns();
            }

            @Override
            public String values() {
                return row.values();
            }

            @Override
            public int bind(Connection c, PreparedStatement s, int first) throws SQLException {
                int next = row.bind(c, s, first);
                s.setNull(first, java.sql.Types.VARCHAR);
                return next;
            }
        };
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
    void recordsTheMessageAsQueuedWithItsSpoolRowUnderTheGivenId() {
        ApiKey key = key("acct-record");
        ResolvedPolicy broadcast = new ResolvedPolicy(Stream.BROADCAST, false, "krafter-broadcast-untracked", true);
        UUID given = UUID.randomUUID();
        UUID id = accepted(records.accept(given, key, broadcast, new MessageFacts("", List.of("a@example.com", "b@example.org"),
            "Sub\0ject", null, 42), Submissions.queueRow(spool.spool(), spool.prepared(), given)));

        assertThat(id).isEqualTo(given);
        assertThat(spool.rowsOf(id)).isOne();
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
    void aQueueRowThatCannotBeWrittenLeavesNoRecord() {
        ApiKey key = key("acct-rollback");
        UUID id = UUID.randomUUID();
        assertThatThrownBy(() -> records.accept(id, key, TRANSACTIONAL, FACTS, refusedRow(id)))
            .isInstanceOf(StoreException.class).hasRootCauseInstanceOf(SQLException.class);

        assertThat(records.find(id)).isEmpty();
        assertThat(spool.rowsOf(id)).isZero();
        assertThat(count("acct-rollback")).isZero();
    }

    @Test
    void aQueueRowThatCannotBeWrittenForASandboxSendLeavesNoRecordAndReleasesTheLock() {
        ApiKey key = sandboxKey("acct-sandbox-rollback", 1);
        UUID id = UUID.randomUUID();
        assertThatThrownBy(() -> records.accept(id, key, TRANSACTIONAL, FACTS, refusedRow(id)))
            .isInstanceOf(StoreException.class);
        assertThat(count("acct-sandbox-rollback")).isZero();
        assertThat(spool.rowsOf(id)).isZero();
        accepted(accept(records, key, TRANSACTIONAL, FACTS));
    }

    @Test
    void theSandboxCapIsARolling24HourCountPerAccount() throws SQLException {
        ApiKey key = sandboxKey("acct-cap", 3);
        for (int i = 0; i < 3; i++) {
            accepted(accept(records, key, TRANSACTIONAL, FACTS));
        }
        int rowsBefore = spool.rows();
        AcceptOutcome refused = accept(records, key, TRANSACTIONAL, FACTS);
        assertThat(refused).isEqualTo(PolicyViolation.sandboxCapExceeded(3));
        assertThat(((PolicyViolation) refused).message())
            .isEqualTo("sandbox accounts may send at most 3 emails per rolling 24 hours; the limit is reached");
        assertThat(spool.rows()).isEqualTo(rowsBefore); // over the cap: no queue row either
        assertThat(count("acct-cap")).isEqualTo(3);

        // One of the three is now older than 24 hours: one more send fits.
        try (Connection c = db.database().dataSource().getConnection();
             PreparedStatement age = c.prepareStatement("""
                 UPDATE emails SET created_at = now() - interval '24 hours 1 second'
                  WHERE id = (SELECT id FROM emails WHERE account_id = 'acct-cap' LIMIT 1)""")) {
            age.executeUpdate();
        }
        accepted(accept(records, key, TRANSACTIONAL, FACTS));
        assertThat(accept(records, key, TRANSACTIONAL, FACTS)).isInstanceOf(PolicyViolation.class);
    }

    @Test
    void theCapComesFromTheDatabaseNotFromACachedKey() {
        ApiKey cached = sandboxKey("acct-fresh", 1);
        accepted(accept(records, cached, TRANSACTIONAL, FACTS));
        keys.setSandbox("acct-fresh", new ApiKey.Sandbox(true, cached.sandbox().allowedRecipients(), 2));
        accepted(accept(records, cached, TRANSACTIONAL, FACTS));
        keys.setSandbox("acct-fresh", ApiKey.Sandbox.OFF);
        accepted(accept(records, cached, TRANSACTIONAL, FACTS));
    }

    @Test
    void otherAccountsDoNotCount() {
        ApiKey capped = sandboxKey("acct-capped-alone", 1);
        ApiKey other = key("acct-busy");
        for (int i = 0; i < 3; i++) {
            accepted(accept(records, other, TRANSACTIONAL, FACTS));
        }
        accepted(accept(records, capped, TRANSACTIONAL, FACTS));
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

    /** {@code senders} threads start together, so a count that ignored the lock would let most of them through. */
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
                    return accept(process, key, TRANSACTIONAL, FACTS);
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
            ApiKey key = key("acct-dead");
            int rowsBefore = spool.rows();
            assertThatThrownBy(() -> accept(unreachable, key, TRANSACTIONAL, FACTS)).isInstanceOf(StoreException.class);
            assertThat(spool.rows()).isEqualTo(rowsBefore);
        }
    }

    @Test
    void findOfAnUnknownIdIsEmpty() {
        assertThat(records.find(UUID.randomUUID())).isEmpty();
    }

    private static AcceptOutcome acceptKeyed(EmailRecords records, ApiKey key, String dedupKey) {
        UUID id = UUID.randomUUID();
        return records.accept(id, key, TRANSACTIONAL, FACTS, Submissions.queueRow(spool.spool(), spool.prepared(), id),
            java.util.Optional.of(dedupKey));
    }

    @Test
    void aKeyUsedAgainWithinTheWindowIsADuplicateOfTheFirstAndWritesNothing() {
        ApiKey key = key("acct-dedup");
        UUID first = accepted(acceptKeyed(records, key, "message-id:<x@y>"));
        int rows = spool.rows();
        assertThat(acceptKeyed(records, key, "message-id:<x@y>")).isEqualTo(new AcceptOutcome.Duplicate(first));
        assertThat(count("acct-dedup")).isOne();
        assertThat(spool.rows()).isEqualTo(rows);
        // another key, and the same key of another account, are messages of their own
        accepted(acceptKeyed(records, key, "message-id:<z@y>"));
        accepted(acceptKeyed(records, key("acct-dedup-other"), "message-id:<x@y>"));
    }

    @Test
    void aKeyThatLeftTheWindowIsANewMessageAndPruningForgetsIt() throws SQLException {
        ApiKey key = key("acct-dedup-old");
        UUID first = accepted(acceptKeyed(records, key, "key:order-1"));
        try (Connection c = db.database().dataSource().getConnection();
             PreparedStatement age = c.prepareStatement(
                 "UPDATE email_dedup SET created_at = now() - interval '24 hours 1 second' WHERE account_id = 'acct-dedup-old'")) {
            age.executeUpdate();
        }
        UUID second = accepted(acceptKeyed(records, key, "key:order-1"));
        assertThat(second).isNotEqualTo(first);
        assertThat(acceptKeyed(records, key, "key:order-1")).isEqualTo(new AcceptOutcome.Duplicate(second));
        try (Connection c = db.database().dataSource().getConnection();
             PreparedStatement age = c.prepareStatement(
                 "UPDATE email_dedup SET created_at = now() - interval '25 hours' WHERE account_id = 'acct-dedup-old'")) {
            age.executeUpdate();
        }
        assertThat(records.pruneDedup()).isPositive();
    }

    @Test
    void aSandboxDuplicateDoesNotCountAgainstTheCapAndIsAnsweredEvenAtTheCap() {
        ApiKey key = sandboxKey("acct-dedup-sandbox", 1);
        UUID first = accepted(acceptKeyed(records, key, "message-id:<s@y>"));
        assertThat(acceptKeyed(records, key, "message-id:<s@y>")).isEqualTo(new AcceptOutcome.Duplicate(first));
        assertThat(acceptKeyed(records, key, "message-id:<t@y>")).isEqualTo(PolicyViolation.sandboxCapExceeded(1));
        assertThat(count("acct-dedup-sandbox")).isOne();
    }

    @Test
    void sixteenConcurrentCopiesThroughTwoProcessesAreOneMessage() throws Exception {
        ApiKey key = key("acct-dedup-race");
        try (Database second = Database.connect(db.settings())) {
            List<EmailRecords> processes = List.of(records, new EmailRecords(second.dataSource()));
            ExecutorService pool = Executors.newFixedThreadPool(16);
            try {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<AcceptOutcome>> futures = new ArrayList<>();
                for (int i = 0; i < 16; i++) {
                    EmailRecords process = processes.get(i % 2);
                    futures.add(pool.submit(() -> {
                        start.await();
                        return acceptKeyed(process, key, "message-id:<race@y>");
                    }));
                }
                start.countDown();
                List<AcceptOutcome> outcomes = new ArrayList<>();
                for (Future<AcceptOutcome> f : futures) {
                    outcomes.add(f.get(60, TimeUnit.SECONDS));
                }
                List<UUID> accepted = outcomes.stream().filter(AcceptOutcome.Accepted.class::isInstance)
                    .map(o -> ((AcceptOutcome.Accepted) o).emailId()).toList();
                assertThat(accepted).hasSize(1);
                assertThat(outcomes).filteredOn(AcceptOutcome.Duplicate.class::isInstance).hasSize(15)
                    .allSatisfy(o -> assertThat(((AcceptOutcome.Duplicate) o).firstEmailId()).isEqualTo(accepted.get(0)));
                assertThat(count("acct-dedup-race")).isOne();
            } finally {
                pool.shutdownNow();
            }
        }
    }

    static DataSource dataSource() {
        return db.database().dataSource();
    }
}
