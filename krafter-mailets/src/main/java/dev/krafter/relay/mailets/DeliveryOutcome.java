package dev.krafter.relay.mailets;

import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.krafter.relay.queue.QueueCompletion;
import dev.krafter.relay.emails.DeliveryRecords;

/**
 * The final outcome of a delivery, carried on the mail from the terminal mailet to the queue, which
 * writes it to the email record in the statement that removes the mail's row: "sent" and "no
 * longer queued" commit together, in one round trip. If that commit fails (the database is unreachable), the queue
 * retries the commit, not the SES call.
 */
public final class DeliveryOutcome implements QueueCompletion {
    static final AttributeName OUTCOME = AttributeName.of("krafter.outcome");
    static final AttributeName SES_MESSAGE_ID = AttributeName.of("krafter.sesMessageId");
    static final AttributeName REASON = AttributeName.of("krafter.outcomeReason");
    /**
     * On a dequeued mail: its email record's status ({@code queued}, {@code sent}, {@code failed}) as
     * the lease that handed it out read it, so that the delivery need not read it again. Absent when
     * the mail has no record. Whoever reads it removes it.
     */
    static final AttributeName RECORD_STATUS = AttributeName.of("krafter.queue.record-status");

    private static final Logger LOGGER = LoggerFactory.getLogger(DeliveryOutcome.class);
    private static final String SENT = "sent";
    private static final String FAILED = "failed";
    private static final String UNFINISHED = "unfinished";
    /** How soon an unfinished delivery is tried again: the database it needed was away a moment ago. */
    static final Duration UNFINISHED_AGAIN_AFTER = Duration.ofSeconds(5);

    /** SES accepted the message under {@code sesMessageId}. */
    public static void sent(Mail mail, String sesMessageId) {
        mail.setAttribute(new Attribute(OUTCOME, AttributeValue.of(SENT)));
        mail.setAttribute(new Attribute(SES_MESSAGE_ID, AttributeValue.of(sesMessageId == null ? "" : sesMessageId)));
    }

    /** Delivery ended without sending: a permanent SES refusal, or the retries ran out. */
    public static void failed(Mail mail, String reason) {
        mail.setAttribute(new Attribute(OUTCOME, AttributeValue.of(FAILED)));
        mail.setAttribute(new Attribute(REASON, AttributeValue.of(reason == null ? "" : reason)));
    }

    /**
     * The delivery could not go on without the database (the record unreadable, the retry not
     * recordable): the mail stays queued as it was and is tried again shortly; no retry is counted.
     */
    public static void unfinished(Mail mail) {
        mail.setAttribute(new Attribute(OUTCOME, AttributeValue.of(UNFINISHED)));
    }

    @Override
    public Optional<LeaseReading> leaseReading() {
        return Optional.of(DeliveryRecords.statusReading(RECORD_STATUS));
    }

    @Override
    public Optional<Duration> postpone(Mail mail) {
        return string(mail, OUTCOME).filter(UNFINISHED::equals).map(outcome -> UNFINISHED_AGAIN_AFTER);
    }

    @Override
    public Optional<QueueCompletion.Statement> statement(Mail mail, Optional<UUID> emailId) {
        Optional<String> outcome = string(mail, OUTCOME);
        Optional<UUID> id = emailId.isPresent() ? emailId : string(mail, KrafterAttributes.EMAIL_ID).flatMap(DeliveryOutcome::uuid);
        if (outcome.isEmpty() || id.isEmpty()) {
            return Optional.empty();
        }
        if (outcome.get().equals(SENT)) {
            return Optional.of(DeliveryRecords.markSentStatement(id.get(), string(mail, SES_MESSAGE_ID).orElse(null)));
        }
        if (outcome.get().equals(FAILED)) {
            String reason = string(mail, REASON).orElse("");
            LOGGER.warn("email {} failed: {}", id.get(), reason);
            return Optional.of(DeliveryRecords.markFailedStatement(id.get(), reason));
        }
        return Optional.empty();
    }

    private static Optional<UUID> uuid(String text) {
        try {
            return Optional.of(UUID.fromString(text));
        } catch (IllegalArgumentException e) {
            return Optional.empty(); // nothing to update; the mail's row is removed all the same
        }
    }

    private static Optional<String> string(Mail mail, AttributeName name) {
        return mail.getAttribute(name).map(Attribute::getValue).map(AttributeValue::getValue)
            .filter(String.class::isInstance).map(String.class::cast);
    }
}
