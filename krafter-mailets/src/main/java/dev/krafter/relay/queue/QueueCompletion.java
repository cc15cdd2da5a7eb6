package dev.krafter.relay.queue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.apache.mailet.AttributeName;
import org.apache.mailet.Mail;

/**
 * What the mail's records add to the queue's own statements, so that the queue need not know their
 * tables. Chiefly what else commits with the removal of a processed mail's row: one statement with
 * the row's DELETE, so the outcome a mailet recorded on the mail and the end of its queue entry land
 * together or not at all, in one round trip. And what each lease reads with its rows, so that the
 * processing need not read it again.
 */
@FunctionalInterface
public interface QueueCompletion {
    QueueCompletion NONE = (mail, emailId) -> Optional.empty();

    /**
     * A data-modifying statement ({@code UPDATE …}, {@code INSERT …}) run as a common table expression
     * of the row's {@code DELETE}, with its {@code ?} parameters in order.
     */
    record Statement(String sql, List<Object> parameters) {
        public Statement {
            parameters = java.util.Collections.unmodifiableList(new java.util.ArrayList<>(parameters)); // nulls allowed
        }
    }

    /**
     * A value the lease reads for each row it hands out: a scalar SQL expression over the row's email
     * id, which it names {@code q.email_id}, carried on the dequeued mail as {@code attribute} (absent
     * when the expression is NULL). Only the latest lease's value: a mail put back with an earlier
     * one loses it at its next lease.
     */
    record LeaseReading(String expression, AttributeName attribute) {
    }

    /** What to write with the removal of {@code mail}'s row; empty: nothing. */
    Optional<Statement> statement(Mail mail, Optional<UUID> emailId);

    /**
     * A mail whose processing could not finish (what it needed of the database was not there): it
     * stays queued, unchanged, ready again after the returned delay, instead of being removed.
     */
    default Optional<Duration> postpone(Mail mail) {
        return Optional.empty();
    }

    /** What each lease reads with its rows; empty: nothing. */
    default Optional<LeaseReading> leaseReading() {
        return Optional.empty();
    }
}
