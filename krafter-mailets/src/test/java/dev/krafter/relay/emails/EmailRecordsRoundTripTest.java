package dev.krafter.relay.emails;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.apikey.ApiKeyStore;
import dev.krafter.relay.policy.AcceptOutcome;
import dev.krafter.relay.policy.MessageFacts;
import dev.krafter.relay.policy.PolicyViolation;
import dev.krafter.relay.policy.ResolvedPolicy;
import dev.krafter.relay.policy.Stream;
import dev.krafter.relay.db.TestDatabase;
import dev.krafter.relay.queue.PostgresMailQueue;
import dev.krafter.relay.queue.TestSpool;
import dev.krafter.relay.submission.Submissions;
import dev.krafter.relay.db.WireRoundTrips;

/**
 * Counts database round trips per accepted message (the record and its spool row) on the wire: in
 * James 3.8.1 the hook runs on a Netty event loop, so each round trip is latency every connection of
 * that loop waits through.
 */
class EmailRecordsRoundTripTest {
    private static final ResolvedPolicy POLICY = new ResolvedPolicy(Stream.TRANSACTIONAL, false, "krafter-transactional", false);
    private static final MessageFacts FACTS = new MessageFacts("a@example.com", List.of("recipient@example.com"), "s", "<m@x>", 10);

    private static TestDatabase db;
    private static HikariDataSource counted;
    private static ApiKeyStore keys;
    private static TestSpool spool;

    @BeforeAll
    static void start() {
        db = TestDatabase.create();
        keys = new ApiKeyStore(db.database().dataSource(), Duration.ZERO);
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(db.url());
        config.setUsername(db.user());
        config.setPassword(db.password());
        config.setMaximumPoolSize(1);
        config.addDataSourceProperty("socketFactory", WireRoundTrips.class.getName());
        counted = new HikariDataSource(config);
        spool = new TestSpool(db);
    }

    @AfterAll
    static void stop() {
        spool.close();
        counted.close();
        db.close();
    }

    private static long roundTripsOf(EmailRecords records, ApiKey key) {
        // Warm: the connection is open, and past pgjdbc's prepareThreshold (5) the statements are
        // server-side prepared, which is the steady state under load.
        for (int i = 0; i < 6; i++) {
            assertThat(accept(records, key)).isInstanceOf(AcceptOutcome.Accepted.class);
        }
        PostgresMailQueue.Prepared queued = spool.prepared(); // encoding the message is not database work
        UUID id = UUID.randomUUID();
        long before = WireRoundTrips.total();
        assertThat(records.accept(id, key, POLICY, FACTS, Submissions.queueRow(spool.spool(), queued, id)))
            .isInstanceOf(AcceptOutcome.Accepted.class);
        long trips = WireRoundTrips.total() - before;
        assertThat(spool.rowsOf(id)).isOne();
        return trips;
    }

    private static AcceptOutcome accept(EmailRecords records, ApiKey key) {
        UUID id = UUID.randomUUID();
        return records.accept(id, key, POLICY, FACTS, Submissions.queueRow(spool.spool(), spool.prepared(), id));
    }

    @Test
    void anAcceptedMessageOfAnOrdinaryAccountCostsOneRoundTrip() {
        ApiKey key = keys.create("rt-live", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional"), false).key();
        assertThat(roundTripsOf(new EmailRecords(counted), key)).isEqualTo(1);
    }

    @Test
    void anAcceptedMessageWithAnIdempotencyKeyStillCostsOneRoundTrip() {
        ApiKey key = keys.create("rt-keyed", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional"), false).key();
        EmailRecords records = new EmailRecords(counted);
        for (int i = 0; i < 6; i++) {
            UUID id = UUID.randomUUID();
            assertThat(records.accept(id, key, POLICY, FACTS, Submissions.queueRow(spool.spool(), spool.prepared(), id),
                java.util.Optional.of("message-id:<warm-" + i + "@x>"))).isInstanceOf(AcceptOutcome.Accepted.class);
        }
        PostgresMailQueue.Prepared queued = spool.prepared();
        UUID id = UUID.randomUUID();
        long before = WireRoundTrips.total();
        assertThat(records.accept(id, key, POLICY, FACTS, Submissions.queueRow(spool.spool(), queued, id),
            java.util.Optional.of("message-id:<measured@x>"))).isInstanceOf(AcceptOutcome.Accepted.class);
        assertThat(WireRoundTrips.total() - before).isEqualTo(1);
        // and a duplicate is answered in one too
        UUID again = UUID.randomUUID();
        PostgresMailQueue.Prepared resend = spool.prepared();
        before = WireRoundTrips.total();
        assertThat(records.accept(again, key, POLICY, FACTS, Submissions.queueRow(spool.spool(), resend, again),
            java.util.Optional.of("message-id:<measured@x>"))).isEqualTo(new AcceptOutcome.Duplicate(id));
        assertThat(WireRoundTrips.total() - before).isEqualTo(1);
    }

    @Test
    void anAcceptedSandboxMessageCostsTwoRoundTrips() {
        ApiKey created = keys.create("rt-sandbox", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional"), true).key();
        ApiKey.Sandbox sandbox = new ApiKey.Sandbox(true, Set.of("recipient@example.com"), 100);
        keys.setSandbox("rt-sandbox", sandbox);
        ApiKey key = new ApiKey(created.id(), created.accountId(), created.prefix(), created.scopes(),
            created.allowedStreams(), false, sandbox);
        assertThat(roundTripsOf(new EmailRecords(counted), key)).isEqualTo(2);
    }
}
