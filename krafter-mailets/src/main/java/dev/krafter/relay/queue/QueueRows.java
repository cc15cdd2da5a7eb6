package dev.krafter.relay.queue;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import javax.mail.MessagingException;
import javax.sql.DataSource;

import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.postgresql.PGStatement;

/**
 * The SQL of the {@code mail_queue} table. A mail is ready when its {@code next_attempt} has come and
 * nobody holds a live lease on it; leasing takes ready rows with {@code FOR UPDATE SKIP LOCKED}, so
 * consumers on any number of nodes never wait on each other and never get the same row.
 */
final class QueueRows {
    /** The columns an enqueue writes, in the order {@link #bind} binds them. */
    static final String INSERT_COLUMNS = "queue_name, email_id, mail_name, sender, recipients, mail, message, size_bytes, next_attempt";
    /** Their values: the delay in milliseconds is added to the inserting transaction's clock. */
    static final String INSERT_VALUES = "?, ?, ?, ?, ?, ?::jsonb, ?, ?, now() + ? * interval '1 millisecond'";

    private static final String INSERT = "INSERT INTO mail_queue (" + INSERT_COLUMNS + ") VALUES (" + INSERT_VALUES + ")";
    private static final String RESCHEDULE = """
        UPDATE mail_queue SET mail_name = ?, sender = ?, recipients = ?, mail = ?::jsonb, message = ?, size_bytes = ?,
               next_attempt = now() + ? * interval '1 millisecond', lease_owner = NULL, lease_until = NULL
         WHERE id = ?""";
    /**
     * The ready ids are chosen by an uncorrelated ARRAY(…) subquery, which PostgreSQL runs once per
     * execution (an InitPlan): a join to a LIMIT … SKIP LOCKED subquery may be re-run by the plan
     * for each row of the other side, and each re-run skips the rows just leased and picks new ones,
     * so that one lease took hundreds of rows (and their messages) instead of the batch.
     * A message larger than the inline limit is not returned here but read by the delivery thread
     * ({@link #message}), so a lease's result stays small whatever the messages' sizes.
     */
    private static final String LEASE_BEFORE_READING = """
        UPDATE mail_queue q SET lease_owner = ?, lease_until = now() + ? * interval '1 millisecond', deliveries = deliveries + 1
         WHERE q.id = ANY (ARRAY(SELECT id FROM mail_queue
                 WHERE queue_name = ? AND next_attempt <= now() AND (lease_until IS NULL OR lease_until < now())
                 ORDER BY next_attempt, id
                 LIMIT ?
                 FOR UPDATE SKIP LOCKED))
        RETURNING q.id, q.mail_name, q.email_id, q.sender, q.recipients, q.mail::text,
                  CASE WHEN q.size_bytes <= ? THEN q.message END, q.next_attempt, q.size_bytes, """;
    /** Messages up to this size come with their lease; larger ones are read one by one by their delivery thread. */
    static final int INLINE_MESSAGE_BYTES = 128 * 1024;
    private static final String MESSAGE = "SELECT message FROM mail_queue WHERE id = ? AND lease_owner = ?";
    private static final String DELETE = "DELETE FROM mail_queue WHERE id = ?";
    private static final String RELEASE = "UPDATE mail_queue SET lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?";
    private static final String BROWSE = """
        SELECT id, mail_name, email_id, sender, recipients, mail::text, message, next_attempt, size_bytes
          FROM mail_queue WHERE queue_name = ? AND id > ? ORDER BY id LIMIT ?""";
    private static final String NOT_LEASED = " AND (lease_until IS NULL OR lease_until < now())";

    /** What a lease read for one row ({@link QueueCompletion#leaseReading}); the value empty when it read NULL. */
    record Reading(AttributeName attribute, Optional<String> value) {
    }

    /**
     * A leased or browsed row; {@code message} is null when the lease left a large message in the table.
     * {@code reading} is what the lease read with it (empty when browsed, or when nothing is read).
     */
    record Row(long id, String name, String sender, String[] recipients, String json, byte[] message,
               Optional<UUID> emailId, Instant nextAttempt, long size, Optional<Reading> reading) {
        /** Decoded by the caller: a delivery thread, so that the one consumer thread only leases. */
        Mail mail() throws MessagingException {
            return mail(message);
        }

        Mail mail(byte[] message) throws MessagingException {
            Mail mail = MailCodec.decode("mail_queue:" + id, name, sender, recipients, json, message);
            reading.ifPresent(read -> {
                // Only this lease's value: a mail put back before its processing read the attribute keeps it in its row.
                mail.removeAttribute(read.attribute());
                read.value().ifPresent(value -> mail.setAttribute(new Attribute(read.attribute(), AttributeValue.of(value))));
            });
            return mail;
        }
    }

    private final DataSource dataSource;
    private final Optional<AttributeName> readAs;
    private final String leaseSql;

    QueueRows(DataSource dataSource, Optional<QueueCompletion.LeaseReading> reading) {
        this.dataSource = dataSource;
        this.readAs = reading.map(QueueCompletion.LeaseReading::attribute);
        this.leaseSql = LEASE_BEFORE_READING + reading.map(QueueCompletion.LeaseReading::expression).orElse("NULL::text");
    }

    DataSource dataSource() {
        return dataSource;
    }

    /**
     * Prepares a connection of its own for the queue's soft state — leases, wake-ups — whose commits
     * need not wait for the WAL flush: a lease lost in a database crash only makes the mail ready
     * again, as an expired lease would, and a lost NOTIFY is covered by the poll. Accepting mail
     * stays on the pool's connections, fully synchronous; an outcome is written there too, without
     * waiting for the flush (see {@link #complete}).
     */
    static Connection softConnection(Connection c) throws SQLException {
        c.setAutoCommit(true);
        try (var s = c.createStatement()) {
            s.execute("SET synchronous_commit = off");
        }
        return c;
    }

    /**
     * A consumer's connection: {@link #softConnection}, and its lease query always walks
     * {@code mail_queue_ready} in order and stops after the batch. A queue table's statistics lag
     * behind a growing backlog, and with them the planner picks a bitmap scan that reads and sorts
     * every ready row, so that each lease costs in proportion to the backlog (6 ms at 5,600 ready
     * rows, 0.15 ms in index order). Only the queue's own statements run on this connection.
     */
    static Connection consumerConnection(Connection c) throws SQLException {
        softConnection(c);
        try (var s = c.createStatement()) {
            s.execute("SET enable_bitmapscan = off");
            s.execute("SET enable_seqscan = off");
        }
        return c;
    }

    /** Binds one enqueue from {@code first} on, as {@link #INSERT_VALUES} lists them; returns the next index. */
    static int bind(Connection c, PreparedStatement s, int first, String queue, MailCodec.Encoded mail,
                    Optional<UUID> emailId, Duration delay) throws SQLException {
        s.setString(first, queue);
        s.setObject(first + 1, emailId.orElse(null));
        return bindMail(c, s, first + 2, mail, delay);
    }

    /** The mail's own columns, mail_name to next_attempt, in the order both INSERT and RESCHEDULE list them. */
    private static int bindMail(Connection c, PreparedStatement s, int first, MailCodec.Encoded mail, Duration delay)
        throws SQLException {
        int i = first;
        s.setString(i++, mail.name());
        s.setString(i++, mail.sender());
        s.setArray(i++, c.createArrayOf("text", mail.recipients()));
        s.setString(i++, mail.json());
        s.setBinaryStream(i++, mail.message().stream(), mail.message().length());
        s.setLong(i++, mail.message().length());
        s.setLong(i++, delayMillis(delay));
        return i;
    }

    void insert(String queue, MailCodec.Encoded mail, Optional<UUID> emailId, Duration delay) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(INSERT)) {
            c.setAutoCommit(true);
            bind(c, s, 1, queue, mail, emailId, delay);
            s.executeUpdate();
        }
    }

    /** The mail a consumer holds, written back with a new next attempt and no lease: a retry in place. */
    boolean reschedule(long id, MailCodec.Encoded mail, Duration delay) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(RESCHEDULE)) {
            c.setAutoCommit(true);
            s.setLong(bindMail(c, s, 1, mail, delay), id);
            return s.executeUpdate() == 1;
        }
    }

    /** Leases up to {@code limit} ready rows for {@code owner}, on the consumer's own connection (see {@link #softConnection}). */
    List<Row> lease(Connection c, String queue, String owner, Duration lease, int limit) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(leaseSql)) {
            // Binary results from the first execution: the message column arrives as its bytes, not as hex text.
            s.unwrap(PGStatement.class).setPrepareThreshold(-1);
            s.setString(1, owner);
            s.setLong(2, lease.toMillis());
            s.setString(3, queue);
            s.setInt(4, limit);
            s.setInt(5, INLINE_MESSAGE_BYTES);
            List<Row> rows = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    rows.add(row(rs, true));
                }
            }
            // RETURNING gives no order: hand them out in queue order.
            rows.sort((a, b) -> a.nextAttempt().equals(b.nextAttempt())
                ? Long.compare(a.id(), b.id()) : a.nextAttempt().compareTo(b.nextAttempt()));
            return rows;
        }
    }

    /** The message of a row {@code owner} holds, read apart from its lease; empty when the lease was lost. */
    Optional<byte[]> message(long id, String owner) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(MESSAGE)) {
            // Binary results: the message arrives as its bytes, not as hex text twice its size.
            s.unwrap(PGStatement.class).setPrepareThreshold(-1);
            s.setLong(1, id);
            s.setString(2, owner);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? Optional.of(rs.getBytes(1)) : Optional.empty();
            }
        }
    }

    /**
     * Ends a row and whatever the completion adds to it, in one auto-committed statement whose commit
     * does not wait for the WAL flush (set_config(…, true) is local to the statement's transaction).
     * Losing that commit in a database crash loses nothing: the row is still there and the mail is
     * delivered again (at least once). Waiting for the flush made every delivery queue behind the
     * accepting sessions' WAL writes (35 % of the delivery threads' waits at 16 senders).
     */
    void complete(long id, Optional<QueueCompletion.Statement> outcome) throws SQLException {
        String delete = DELETE + " AND (SELECT set_config('synchronous_commit', 'off', true)) IS NOT NULL";
        String sql = outcome.map(o -> "WITH outcome AS (" + o.sql() + ") " + delete).orElse(delete);
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            c.setAutoCommit(true);
            int i = 1;
            for (Object parameter : outcome.map(QueueCompletion.Statement::parameters).orElse(List.of())) {
                s.setObject(i++, parameter);
            }
            s.setLong(i, id);
            s.executeUpdate();
        }
    }

    /** Gives the lease back and makes the mail ready again after {@code delay}, the row otherwise unchanged. */
    void postpone(long id, String owner, Duration delay) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(
            "UPDATE mail_queue SET lease_owner = NULL, lease_until = NULL, next_attempt = now() + ? * interval '1 millisecond'"
                + " WHERE id = ? AND lease_owner = ?")) {
            s.setLong(1, delayMillis(delay));
            s.setLong(2, id);
            s.setString(3, owner);
            s.executeUpdate();
        }
    }

    /**
     * Leases of this owner on the queue that no consumer holds: left by a lease query whose answer
     * was lost (the connection broke after the commit). Given back, they are ready again now.
     */
    int releaseUnheld(Connection c, String queue, String owner, Long[] held) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
            "UPDATE mail_queue SET lease_owner = NULL, lease_until = NULL"
                + " WHERE queue_name = ? AND lease_owner = ? AND NOT (id = ANY (?))")) {
            s.setString(1, queue);
            s.setString(2, owner);
            s.setArray(3, c.createArrayOf("bigint", held));
            return s.executeUpdate();
        }
    }

    void release(long id, String owner) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(RELEASE)) {
            s.setLong(1, id);
            s.setString(2, owner);
            s.executeUpdate();
        }
    }

    /** Up to {@code limit} rows of the queue after row {@code afterId}, in enqueue order: one page of a browse. */
    List<Row> browse(String queue, long afterId, int limit) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(BROWSE)) {
            s.unwrap(PGStatement.class).setPrepareThreshold(-1);
            s.setString(1, queue);
            s.setLong(2, afterId);
            s.setInt(3, limit);
            List<Row> rows = new ArrayList<>();
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    rows.add(row(rs, false));
                }
            }
            return rows;
        }
    }

    long count(String queue) throws SQLException {
        return update("SELECT count(*) FROM mail_queue WHERE queue_name = ?", queue, true);
    }

    /** Makes every waiting mail of the queue ready now. */
    long flush(String queue) throws SQLException {
        return update("UPDATE mail_queue SET next_attempt = now() WHERE queue_name = ? AND next_attempt > now()", queue, false);
    }

    /** Removes every mail of the queue that no consumer holds. */
    long clear(String queue) throws SQLException {
        return update("DELETE FROM mail_queue WHERE queue_name = ?" + NOT_LEASED, queue, false);
    }

    long removeByName(String queue, String name) throws SQLException {
        return update("DELETE FROM mail_queue WHERE queue_name = ? AND mail_name = ?" + NOT_LEASED, queue, name);
    }

    long removeBySender(String queue, String sender) throws SQLException {
        return update("DELETE FROM mail_queue WHERE queue_name = ? AND sender = ?" + NOT_LEASED, queue, sender);
    }

    long removeByRecipient(String queue, String recipient) throws SQLException {
        return update("DELETE FROM mail_queue WHERE queue_name = ? AND ? = ANY (recipients)" + NOT_LEASED, queue, recipient);
    }

    private long update(String sql, String queue, boolean query) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, queue);
            if (query) {
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
            return s.executeUpdate();
        }
    }

    private long update(String sql, String queue, String value) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, queue);
            s.setString(2, value);
            return s.executeUpdate();
        }
    }

    private Row row(ResultSet rs, boolean leased) throws SQLException {
        long id = rs.getLong(1);
        Array recipients = rs.getArray(5);
        Timestamp next = rs.getTimestamp(8);
        Optional<String> read = leased ? Optional.ofNullable(rs.getString(10)) : Optional.empty();
        return new Row(id, rs.getString(2), rs.getString(4), (String[]) recipients.getArray(), rs.getString(6), rs.getBytes(7),
            Optional.ofNullable(rs.getObject(3, UUID.class)), next.toInstant(), rs.getLong(9),
            leased ? readAs.map(attribute -> new Reading(attribute, read)) : Optional.empty());
    }

    /** A negative delay is no delay; a delay past what PostgreSQL's intervals hold is the far future. */
    private static long delayMillis(Duration delay) {
        if (delay == null || delay.isNegative()) {
            return 0;
        }
        try {
            return Math.min(delay.toMillis(), Duration.ofDays(365L * 1000).toMillis());
        } catch (ArithmeticException e) {
            return Duration.ofDays(365L * 1000).toMillis();
        }
    }
}
