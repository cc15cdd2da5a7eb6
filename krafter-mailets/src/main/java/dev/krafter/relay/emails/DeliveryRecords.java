package dev.krafter.relay.emails;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

import javax.inject.Inject;
import javax.sql.DataSource;

import org.apache.mailet.AttributeName;

import dev.krafter.relay.queue.QueueCompletion;

import dev.krafter.relay.db.StoreException;

/**
 * The delivery side of the {@code emails} table: what became of an accepted message. The record is
 * inserted as {@code queued} at SMTP time ({@link EmailRecords}); these updates move it to
 * {@code sent} or {@code failed}, and count the retryable failures in {@code attempts}.
 *
 * <p>{@code sent} is final: no update here turns a sent record back into failed or queued, so a late
 * error report (the error processor, a retry racing a redelivery) cannot contradict a delivery.
 * Each method is one autocommitted statement. Database failures surface as {@link StoreException}.
 */
public class DeliveryRecords {
    /** Long SES texts and stack-trace summaries are cut here; the record keeps the gist, the log the rest. */
    static final int MAX_ERROR_LENGTH = 2000;

    private static final String STATUS = "SELECT status FROM emails WHERE id = ?";
    private static final String MARK_SENT = """
        UPDATE emails SET status = 'sent', ses_message_id = ?, error = NULL, sent_at = now(), updated_at = now()
         WHERE id = ?""";
    private static final String MARK_RETRY = """
        UPDATE emails SET attempts = attempts + 1, error = ?, updated_at = now()
         WHERE id = ? AND status <> 'sent'""";
    private static final String MARK_FAILED = """
        UPDATE emails SET status = 'failed', error = ?, updated_at = now()
         WHERE id = ? AND status <> 'sent'""";

    private final DataSource dataSource;

    @Inject
    public DeliveryRecords(DataSource dataSource) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /** The record's status; empty when there is no record (yet: see SesSend on the accept-time race). */
    public Optional<DeliveryStatus> status(UUID emailId) {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(STATUS)) {
            s.setObject(1, emailId);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? DeliveryStatus.fromColumn(rs.getString(1)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("could not read the status of email " + emailId, e);
        }
    }

    public boolean isSent(UUID emailId) {
        return status(emailId).filter(DeliveryStatus.SENT::equals).isPresent();
    }

    /** @return whether a record was updated (false: no such record) */
    public boolean markSent(UUID emailId, String sesMessageId) {
        return update(MARK_SENT, sesMessageId, emailId, "mark sent");
    }

    /** A retryable failure: {@code attempts + 1}, the error kept, status stays {@code queued}. */
    public boolean markRetry(UUID emailId, String error) {
        return update(MARK_RETRY, truncate(error), emailId, "record a retry of");
    }

    /** @return whether a record was updated (false: no such record, or it is already sent) */
    public boolean markFailed(UUID emailId, String error) {
        return update(MARK_FAILED, truncate(error), emailId, "mark failed");
    }

    /** {@link #status} as the queue's lease reads it with each row, carried on the dequeued mail as {@code attribute}. */
    public static QueueCompletion.LeaseReading statusReading(AttributeName attribute) {
        return new QueueCompletion.LeaseReading("(SELECT e.status FROM emails e WHERE e.id = q.email_id)", attribute);
    }

    /** {@link #markSent} as a statement for the queue to run with the removal of the mail's row. */
    public static QueueCompletion.Statement markSentStatement(UUID emailId, String sesMessageId) {
        return new QueueCompletion.Statement(MARK_SENT, Arrays.asList(sesMessageId, emailId));
    }

    /** {@link #markFailed} as a statement for the queue to run with the removal of the mail's row. */
    public static QueueCompletion.Statement markFailedStatement(UUID emailId, String error) {
        return new QueueCompletion.Statement(MARK_FAILED, Arrays.asList(truncate(error), emailId));
    }

    private boolean update(String sql, String text, UUID emailId, String what) {
        try (Connection c = dataSource.getConnection()) {
            return update(c, sql, text, emailId);
        } catch (SQLException e) {
            throw new StoreException("could not " + what + " email " + emailId, e);
        }
    }

    private static boolean update(Connection c, String sql, String text, UUID emailId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, text);
            s.setObject(2, emailId);
            return s.executeUpdate() > 0;
        }
    }

    static String truncate(String error) {
        if (error == null) {
            return null;
        }
        return error.length() <= MAX_ERROR_LENGTH ? error : error.substring(0, MAX_ERROR_LENGTH - 1) + "…";
    }
}
