package dev.krafter.relay.queue;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import java.util.UUID;

import org.apache.mailet.Mail;

/**
 * What else commits with the removal of a processed mail's row: the same transaction, so the
 * outcome a mailet recorded on the mail and the end of its queue entry land together or not at all.
 */
@FunctionalInterface
public interface QueueCompletion {
    QueueCompletion NONE = (connection, mail, emailId) -> {
    };

    /** Runs on the transaction that deletes the row; throwing rolls both back (and the completion is retried). */
    void complete(Connection connection, Mail mail, Optional<UUID> emailId) throws SQLException;
}
