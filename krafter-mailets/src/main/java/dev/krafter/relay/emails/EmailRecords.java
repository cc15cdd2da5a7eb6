package dev.krafter.relay.emails;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

import javax.sql.DataSource;

import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.db.StoreException;
import dev.krafter.relay.policy.AcceptOutcome;
import dev.krafter.relay.policy.MessageFacts;
import dev.krafter.relay.policy.PolicyViolation;
import dev.krafter.relay.policy.ResolvedPolicy;

/**
 * The {@code emails} table: one record per accepted message, and the sandbox's rolling 24-hour cap.
 *
 * <p>{@link #accept} writes the record and the message's spool queue row in one statement — the
 * record's INSERT as a data-modifying CTE, the queue row's INSERT selecting from it — so there is
 * never a record without its message or a message without its record, and a failure leaves
 * neither. A message's idempotency key, when it has one, is one more CTE of the same statement:
 * a key the account used within the window makes the statement write nothing and answer the first
 * message's id. Database round trips per accepted message, with a warm pool, with or without key:
 * <ul>
 * <li>non-sandbox: 1 — that statement in auto-commit: PostgreSQL commits it (and syncs its WAL)
 *     before it answers; no lock is taken.</li>
 * <li>sandbox: 2 — {@code BEGIN}+{@code SET LOCAL lock_timeout}+{@code SELECT … FOR NO KEY UPDATE}
 *     +the statement with the cap as its condition, sent as one pipelined batch, and {@code COMMIT}.
 *     The row lock serialises an account's sandbox sends across threads and processes; the count is
 *     in a later statement than the lock, so under READ COMMITTED it sees every send committed by
 *     the previous lock holder (a count in the locking statement itself would use the snapshot from
 *     before the wait and let the cap be exceeded). Over the cap, neither row is written.</li>
 * </ul>
 * Hikari adds a validation query only for a connection idle for more than 500 ms.
 */
public final class EmailRecords {

    /** The queue row written with the record: its columns, placeholders and values (the queue's own SQL). */
    public interface QueueRow {
        String columns();

        String values();

        /** Binds the row's values from parameter {@code first} on; returns the next index. */
        int bind(Connection c, PreparedStatement s, int first) throws SQLException;
    }

    public static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_DEDUP_WINDOW = Duration.ofHours(24);

    private static final String COLUMNS =
        "id, account_id, api_key_id, stream, tracking, configuration_set, envelope_from, envelope_to, subject, message_id, size_bytes, status";
    private static final String VALUES = "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued'";

    private static final String INSERT = """
        WITH record AS (INSERT INTO emails (%s) VALUES (%s) RETURNING id)
        INSERT INTO mail_queue (%s) SELECT %s FROM record""";

    /**
     * With an idempotency key: the key's row first (new, or taking over one that left the window),
     * the record and the queue row only if it was written, and the first message's id read from
     * the statement's snapshot (data-modifying CTEs do not see each other's rows: a key written now
     * is not visible there, one committed before is).
     */
    private static final String DEDUP = """
        INSERT INTO email_dedup AS d (account_id, dedup_key, email_id) %s
        ON CONFLICT (account_id, dedup_key) DO UPDATE SET email_id = EXCLUDED.email_id, created_at = now()
         WHERE d.created_at <= now() - ? * interval '1 millisecond'
        RETURNING email_id""";
    private static final String DEDUP_INSERT = """
        WITH dedup AS (%s),
             record AS (INSERT INTO emails (%s) SELECT %s FROM dedup RETURNING id),
             queued AS (INSERT INTO mail_queue (%s) SELECT %s FROM record RETURNING id)
        SELECT (SELECT count(*) FROM queued),
               (SELECT email_id FROM email_dedup
                 WHERE account_id = ? AND dedup_key = ? AND created_at > now() - ? * interval '1 millisecond')""";

    /** The sandbox cap as the condition of the first write of a sandbox send. */
    private static final String UNDER_CAP = """
        FROM accounts a
         WHERE a.id = ?
           AND (NOT a.sandbox
                OR (SELECT count(*) FROM emails e
                     WHERE e.account_id = a.id AND e.created_at > now() - interval '24 hours') < a.sandbox_daily_cap)""";

    /**
     * Three statements, one round trip. NO KEY UPDATE rather than UPDATE: it still excludes every other
     * sandbox sender of the account, but not the KEY SHARE lock that an insert's foreign-key check takes.
     * The insert re-reads sandbox/cap from the locked row: an account just taken out of the sandbox is
     * not capped by a stale cached key.
     */
    private static final String SANDBOX_LOCK = """
        SET LOCAL lock_timeout = '%d';
        SELECT sandbox_daily_cap FROM accounts WHERE id = ? FOR NO KEY UPDATE;
        """;
    private static final String SANDBOX_INSERT = """
        WITH record AS (INSERT INTO emails (%s) SELECT %s %s RETURNING id)
        INSERT INTO mail_queue (%s) SELECT %s FROM record
        RETURNING id""";

    private final DataSource dataSource;
    private final Duration lockTimeout;
    private final Duration dedupWindow;

    public EmailRecords(DataSource dataSource) {
        this(dataSource, DEFAULT_LOCK_TIMEOUT, DEFAULT_DEDUP_WINDOW);
    }

    /**
     * @param lockTimeout how long a sandbox send waits for the account lock before failing (→ 451);
     *                    bounded because in James 3.8.1 the wait blocks a Netty event loop
     * @param dedupWindow how long an idempotency key makes a resend a duplicate; zero: never
     */
    public EmailRecords(DataSource dataSource, Duration lockTimeout, Duration dedupWindow) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.lockTimeout = lockTimeout;
        this.dedupWindow = dedupWindow;
    }

    /** {@link #accept(UUID, ApiKey, ResolvedPolicy, MessageFacts, QueueRow, Optional)} for a message without idempotency key. */
    public AcceptOutcome accept(UUID id, ApiKey key, ResolvedPolicy policy, MessageFacts facts, QueueRow queueRow) {
        return accept(id, key, policy, facts, queueRow, Optional.empty());
    }

    /**
     * Records one message under {@code id} and queues it, in one commit; with an idempotency key
     * the account used within the window, writes nothing and answers the first message's id.
     *
     * @param dedupKey the message's idempotency key, empty: never a duplicate
     * @return {@link AcceptOutcome.Accepted} with the id, {@link AcceptOutcome.Duplicate}, or the
     *         {@code sandbox_cap_exceeded} violation (nothing written)
     * @throws StoreException the database failed; nothing was written
     */
    public AcceptOutcome accept(UUID id, ApiKey key, ResolvedPolicy policy, MessageFacts facts, QueueRow queueRow,
                                Optional<String> dedupKey) {
        Optional<String> dedup = dedupWindow.isZero() ? Optional.empty() : dedupKey;
        boolean connected = false;
        try (Connection c = dataSource.getConnection()) {
            connected = true;
            if (key.sandbox().enabled()) {
                c.setAutoCommit(false);
                try {
                    AcceptOutcome outcome = insertUnderCap(c, id, key, policy, facts, queueRow, dedup);
                    if (outcome instanceof AcceptOutcome.Accepted) {
                        c.commit();
                    } else {
                        c.rollback();
                    }
                    return outcome;
                } catch (SQLException | RuntimeException e) {
                    rollbackQuietly(c, e);
                    throw e;
                } finally {
                    c.setAutoCommit(true);
                }
            }
            c.setAutoCommit(true);
            return insert(c, id, key, policy, facts, queueRow, dedup); // committed when it returns
        } catch (SQLException e) {
            if (connected && committedAnyway(id, e)) {
                return new AcceptOutcome.Accepted(id);
            }
            throw new StoreException("could not record email " + id, e);
        }
    }

    /** Forgets idempotency keys that have left the window; returns how many. */
    public int pruneDedup() {
        try (Connection c = dataSource.getConnection();
             PreparedStatement s = c.prepareStatement("DELETE FROM email_dedup WHERE created_at <= now() - ? * interval '1 millisecond'")) {
            s.setLong(1, dedupWindow.toMillis());
            return s.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("could not prune idempotency keys", e);
        }
    }

    public Duration dedupWindow() {
        return dedupWindow;
    }

    /**
     * A connection lost during the statement or its commit leaves the outcome unknown: the commit
     * may have landed with the answer lost on the way. The record's id is ours, so look: found, the
     * message is recorded and queued and the client gets its 250 instead of a 451 that would make
     * it send the message again. The look-up failing as well (the database is still away) is a 451.
     */
    private boolean committedAnyway(UUID id, SQLException failure) {
        String state = failure.getSQLState();
        boolean connectionLost = state == null || state.startsWith("08") || state.startsWith("57P");
        if (!connectionLost) {
            return false;
        }
        try {
            return find(id).isPresent();
        } catch (StoreException e) {
            failure.addSuppressed(e);
            return false;
        }
    }

    public Optional<EmailRecord> find(UUID id) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement select = c.prepareStatement("SELECT * FROM emails WHERE id = ?")) {
            select.setObject(1, id);
            try (ResultSet rs = select.executeQuery()) {
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("could not read email " + id, e);
        }
    }

    private AcceptOutcome insert(Connection c, UUID id, ApiKey key, ResolvedPolicy policy, MessageFacts facts,
                                 QueueRow queueRow, Optional<String> dedup) throws SQLException {
        if (dedup.isEmpty()) {
            String sql = INSERT.formatted(COLUMNS, VALUES, queueRow.columns(), queueRow.values());
            try (PreparedStatement insert = c.prepareStatement(sql)) {
                int next = bindRecord(c, insert, 1, id, key, policy, facts);
                queueRow.bind(c, insert, next);
                insert.executeUpdate();
            }
            return new AcceptOutcome.Accepted(id);
        }
        String sql = DEDUP_INSERT.formatted(DEDUP.formatted("VALUES (?, ?, ?)"), COLUMNS, VALUES, queueRow.columns(), queueRow.values());
        for (int attempt = 0; ; attempt++) {
            try (PreparedStatement insert = c.prepareStatement(sql)) {
                int next = bindDedup(insert, 1, id, key, dedup.get(), false);
                next = bindRecord(c, insert, next, id, key, policy, facts);
                next = queueRow.bind(c, insert, next);
                bindFirst(insert, next, key, dedup.get());
                try (ResultSet rs = insert.executeQuery()) {
                    rs.next();
                    Optional<AcceptOutcome> outcome = outcome(id, rs);
                    if (outcome.isPresent()) {
                        return outcome.get();
                    }
                }
            }
            if (attempt > 0) {
                throw new SQLException("idempotency key of email " + id + " neither written nor found");
            }
            // A concurrent first copy committed after this statement's snapshot: look again.
        }
    }

    private AcceptOutcome insertUnderCap(Connection c, UUID id, ApiKey key, ResolvedPolicy policy,
                                         MessageFacts facts, QueueRow queueRow, Optional<String> dedup) throws SQLException {
        String write = dedup.isEmpty()
            ? SANDBOX_INSERT.formatted(COLUMNS, VALUES, UNDER_CAP, queueRow.columns(), queueRow.values())
            : DEDUP_INSERT.formatted(DEDUP.formatted("SELECT ?, ?, ? " + UNDER_CAP), COLUMNS, VALUES,
                queueRow.columns(), queueRow.values());
        try (PreparedStatement batch = c.prepareStatement(SANDBOX_LOCK.formatted(lockTimeout.toMillis()) + write)) {
            batch.setString(1, key.accountId());
            int next = 2;
            if (dedup.isPresent()) {
                next = bindDedup(batch, next, id, key, dedup.get(), true);
            }
            next = bindRecord(c, batch, next, id, key, policy, facts);
            if (dedup.isEmpty()) {
                batch.setString(next++, key.accountId());
            }
            next = queueRow.bind(c, batch, next);
            if (dedup.isPresent()) {
                bindFirst(batch, next, key, dedup.get());
            }
            Integer cap = null;
            AcceptOutcome written = null;
            int resultSets = 0;
            boolean isResultSet = batch.execute();
            while (isResultSet || batch.getUpdateCount() != -1) {
                if (isResultSet) {
                    try (ResultSet rs = batch.getResultSet()) {
                        boolean row = rs.next();
                        if (resultSets == 0 && row) {
                            cap = rs.getInt(1);
                        } else if (resultSets == 1) {
                            written = dedup.isEmpty()
                                ? (row ? new AcceptOutcome.Accepted(id) : null)
                                : outcome(id, rs).orElse(null);
                        }
                    }
                    resultSets++;
                }
                isResultSet = batch.getMoreResults();
            }
            if (cap == null) {
                throw new SQLException("account " + key.accountId() + " not found");
            }
            return written != null ? written : PolicyViolation.sandboxCapExceeded(cap);
        }
    }

    /**
     * The dedup row's values ({@code account, key, id}), in the sandbox form the cap's account id
     * ({@code … FROM accounts a WHERE a.id = ?}), then the window of the conflict clause.
     */
    private int bindDedup(PreparedStatement s, int first, UUID id, ApiKey key, String dedupKey, boolean underCap)
        throws SQLException {
        int i = first;
        s.setString(i++, key.accountId());
        s.setString(i++, dedupKey);
        s.setObject(i++, id);
        if (underCap) {
            s.setString(i++, key.accountId());
        }
        s.setLong(i++, dedupWindow.toMillis());
        return i;
    }

    /** The look-up of the first message: account, key, window. */
    private void bindFirst(PreparedStatement s, int first, ApiKey key, String dedupKey) throws SQLException {
        s.setString(first, key.accountId());
        s.setString(first + 1, dedupKey);
        s.setLong(first + 2, dedupWindow.toMillis());
    }

    /** Written (one queue row), a duplicate (the first id), or neither yet (a concurrent first copy). */
    private static Optional<AcceptOutcome> outcome(UUID id, ResultSet rs) throws SQLException {
        if (rs.getLong(1) == 1) {
            return Optional.of(new AcceptOutcome.Accepted(id));
        }
        UUID first = rs.getObject(2, UUID.class);
        return first == null ? Optional.empty() : Optional.of(new AcceptOutcome.Duplicate(first));
    }

    /** Binds the record's eleven values from {@code first} on; returns the next parameter index. */
    private static int bindRecord(Connection c, PreparedStatement s, int first, UUID id, ApiKey key,
                                  ResolvedPolicy policy, MessageFacts facts) throws SQLException {
        int i = first;
        s.setObject(i++, id);
        s.setString(i++, key.accountId());
        s.setLong(i++, key.id());
        s.setString(i++, policy.stream().wireName());
        s.setBoolean(i++, policy.tracking());
        s.setString(i++, policy.configurationSet());
        s.setString(i++, facts.from());
        s.setArray(i++, c.createArrayOf("text", facts.to().toArray()));
        s.setString(i++, facts.subject());
        s.setString(i++, facts.messageId());
        s.setLong(i++, facts.size());
        return i;
    }

    private static void rollbackQuietly(Connection c, Exception cause) {
        try {
            c.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e); // the connection is likely broken; Hikari will evict it
        }
    }

    private static EmailRecord read(ResultSet rs) throws SQLException {
        Array to = rs.getArray("envelope_to");
        return new EmailRecord(rs.getObject("id", UUID.class), rs.getString("account_id"), rs.getLong("api_key_id"),
            rs.getString("stream"), rs.getBoolean("tracking"), rs.getString("configuration_set"),
            rs.getString("envelope_from"), List.copyOf(Arrays.asList((String[]) to.getArray())),
            rs.getString("subject"), rs.getString("message_id"), rs.getLong("size_bytes"), rs.getString("status"),
            rs.getString("ses_message_id"), rs.getString("error"), rs.getInt("attempts"),
            instant(rs.getTimestamp("created_at")), instant(rs.getTimestamp("updated_at")),
            instant(rs.getTimestamp("sent_at")));
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }
}
