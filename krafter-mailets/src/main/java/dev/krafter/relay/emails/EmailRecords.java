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
import dev.krafter.relay.apikey.StoreException;
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
 * neither. Database round trips per accepted message, with a warm pool:
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

    private static final String COLUMNS =
        "id, account_id, api_key_id, stream, tracking, configuration_set, envelope_from, envelope_to, subject, message_id, size_bytes, status";
    private static final String VALUES = "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued'";

    private static final String INSERT = """
        WITH record AS (INSERT INTO emails (%s) VALUES (%s) RETURNING id)
        INSERT INTO mail_queue (%s) SELECT %s FROM record""";

    /**
     * Three statements, one round trip. NO KEY UPDATE rather than UPDATE: it still excludes every other
     * sandbox sender of the account, but not the KEY SHARE lock that an insert's foreign-key check takes.
     * The insert re-reads sandbox/cap from the locked row: an account just taken out of the sandbox is
     * not capped by a stale cached key.
     */
    private static final String SANDBOX_INSERT = """
        SET LOCAL lock_timeout = '%d';
        SELECT sandbox_daily_cap FROM accounts WHERE id = ? FOR NO KEY UPDATE;
        WITH record AS (
            INSERT INTO emails (%s)
            SELECT %s FROM accounts a
             WHERE a.id = ?
               AND (NOT a.sandbox
                    OR (SELECT count(*) FROM emails e
                         WHERE e.account_id = a.id AND e.created_at > now() - interval '24 hours') < a.sandbox_daily_cap)
            RETURNING id)
        INSERT INTO mail_queue (%s) SELECT %s FROM record
        RETURNING id
        """;

    private final DataSource dataSource;
    private final Duration lockTimeout;

    public EmailRecords(DataSource dataSource) {
        this(dataSource, DEFAULT_LOCK_TIMEOUT);
    }

    /**
     * @param lockTimeout how long a sandbox send waits for the account lock before failing (→ 451);
     *                    bounded because in James 3.8.1 the wait blocks a Netty event loop
     */
    public EmailRecords(DataSource dataSource, Duration lockTimeout) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.lockTimeout = lockTimeout;
    }

    /**
     * Records one message under {@code id} and queues it, in one commit.
     *
     * @return {@link AcceptOutcome.Accepted} with the id, or the {@code sandbox_cap_exceeded}
     *         violation (nothing written)
     * @throws StoreException the database failed; nothing was written
     */
    public AcceptOutcome accept(UUID id, ApiKey key, ResolvedPolicy policy, MessageFacts facts, QueueRow queueRow) {
        boolean connected = false;
        try (Connection c = dataSource.getConnection()) {
            connected = true;
            if (key.sandbox().enabled()) {
                c.setAutoCommit(false);
                try {
                    Optional<PolicyViolation> capped = insertUnderCap(c, id, key, policy, facts, queueRow);
                    if (capped.isPresent()) {
                        c.rollback();
                        return capped.get();
                    }
                    c.commit();
                } catch (SQLException | RuntimeException e) {
                    rollbackQuietly(c, e);
                    throw e;
                } finally {
                    c.setAutoCommit(true);
                }
            } else {
                c.setAutoCommit(true);
                insert(c, id, key, policy, facts, queueRow); // committed when it returns
            }
            return new AcceptOutcome.Accepted(id);
        } catch (SQLException e) {
            if (connected && committedAnyway(id, e)) {
                return new AcceptOutcome.Accepted(id);
            }
            throw new StoreException("could not record email " + id, e);
        }
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

    private static void insert(Connection c, UUID id, ApiKey key, ResolvedPolicy policy, MessageFacts facts,
                               QueueRow queueRow) throws SQLException {
        String sql = INSERT.formatted(COLUMNS, VALUES, queueRow.columns(), queueRow.values());
        try (PreparedStatement insert = c.prepareStatement(sql)) {
            int next = bindRecord(c, insert, 1, id, key, policy, facts);
            queueRow.bind(c, insert, next);
            insert.executeUpdate();
        }
    }

    private Optional<PolicyViolation> insertUnderCap(Connection c, UUID id, ApiKey key, ResolvedPolicy policy,
                                                     MessageFacts facts, QueueRow queueRow) throws SQLException {
        String sql = SANDBOX_INSERT.formatted(lockTimeout.toMillis(), COLUMNS, VALUES, queueRow.columns(), queueRow.values());
        try (PreparedStatement batch = c.prepareStatement(sql)) {
            batch.setString(1, key.accountId());
            int next = bindRecord(c, batch, 2, id, key, policy, facts);
            batch.setString(next++, key.accountId());
            queueRow.bind(c, batch, next);
            Integer cap = null;
            boolean inserted = false;
            int resultSets = 0;
            boolean isResultSet = batch.execute();
            while (isResultSet || batch.getUpdateCount() != -1) {
                if (isResultSet) {
                    try (ResultSet rs = batch.getResultSet()) {
                        boolean row = rs.next();
                        if (resultSets == 0 && row) {
                            cap = rs.getInt(1);
                        } else if (resultSets == 1) {
                            inserted = row;
                        }
                    }
                    resultSets++;
                }
                isResultSet = batch.getMoreResults();
            }
            if (cap == null) {
                throw new SQLException("account " + key.accountId() + " not found");
            }
            return inserted ? Optional.empty() : Optional.of(PolicyViolation.sandboxCapExceeded(cap));
        }
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
