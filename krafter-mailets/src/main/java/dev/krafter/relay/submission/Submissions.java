package dev.krafter.relay.submission;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;

import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.mailets.KrafterAttributes;
import dev.krafter.relay.policy.AcceptOutcome;
import dev.krafter.relay.emails.EmailRecords;
import dev.krafter.relay.policy.MessageFacts;
import dev.krafter.relay.policy.PolicyDecision;
import dev.krafter.relay.policy.PolicyRequest;
import dev.krafter.relay.policy.PolicyViolation;
import dev.krafter.relay.policy.ResolvedPolicy;
import dev.krafter.relay.policy.SenderPolicy;
import dev.krafter.relay.policy.Stream;
import dev.krafter.relay.queue.PostgresMailQueue;

/**
 * The accept sequence, whatever the front door (SMTP today, REST tomorrow): the sender policy's
 * decision, then the email record and the spool queue row in one commit — with the message's
 * {@link IdempotencyKey} in the same statement, so a resend within the window is answered with the
 * first id and not sent again — then the answer. An {@link Decision.Accepted} is durable when this
 * returns; anything else left nothing behind.
 */
public final class Submissions {
    public static final String STREAM_HEADER = "X-Krafter-Stream";
    public static final String TRACKING_HEADER = "X-Krafter-Tracking-Enabled";

    private final SenderPolicy policy;
    private final EmailRecords records;
    private final PostgresMailQueue spool;

    public Submissions(SenderPolicy policy, EmailRecords records, PostgresMailQueue spool) {
        this.policy = policy;
        this.records = records;
        this.spool = spool;
    }

    /** Decides on {@code mail} sent with {@code key}; on acceptance the mail carries the relay's attributes. */
    public Decision accept(ApiKey key, Mail mail) {
        try {
            PolicyRequest request = request(key, mail);
            PolicyDecision decision = policy.decide(request);
            if (decision instanceof PolicyViolation violation) {
                return new Decision.Refused(requestedStream(request), violation);
            }
            ResolvedPolicy resolved = (ResolvedPolicy) decision;
            List<String> explicitKey = headers(mail.getMessage(), IdempotencyKey.HEADER);
            Optional<PolicyViolation> badKey = IdempotencyKey.violation(explicitKey);
            if (badKey.isPresent()) {
                return new Decision.Refused(Optional.of(resolved.stream().wireName()), badKey.get());
            }
            MessageFacts facts = facts(mail);
            Optional<String> dedupKey = IdempotencyKey.of(explicitKey, facts.messageId()).map(IdempotencyKey::value);
            UUID emailId = UUID.randomUUID();
            label(mail, key, resolved, emailId);
            AcceptOutcome outcome;
            try (PostgresMailQueue.Prepared queued = spool.prepare(mail)) {
                outcome = records.accept(emailId, key, resolved, facts, queueRow(spool, queued, emailId), dedupKey);
            }
            if (outcome instanceof PolicyViolation violation) {
                return new Decision.Refused(Optional.of(resolved.stream().wireName()), violation);
            }
            if (outcome instanceof AcceptOutcome.Duplicate duplicate) {
                return new Decision.Duplicate(duplicate.firstEmailId());
            }
            spool.committed();
            return new Decision.Accepted(emailId, resolved);
        } catch (Exception e) {
            return new Decision.Deferred(e);
        }
    }

    /** {@code queued} as the row {@link EmailRecords#accept} writes with the record. */
    public static EmailRecords.QueueRow queueRow(PostgresMailQueue spool, PostgresMailQueue.Prepared queued, UUID emailId) {
        return new EmailRecords.QueueRow() {
            @Override
            public String columns() {
                return PostgresMailQueue.insertColumns();
            }

            @Override
            public String values() {
                return PostgresMailQueue.insertValues();
            }

            @Override
            public int bind(Connection c, PreparedStatement s, int first) throws SQLException {
                return spool.bindInsert(c, s, first, queued, Optional.of(emailId));
            }
        };
    }

    /** What the pipeline reads from the mail: the record's id and the resolved policy. */
    private static void label(Mail mail, ApiKey key, ResolvedPolicy resolved, UUID emailId) {
        mail.setAttribute(new Attribute(KrafterAttributes.EMAIL_ID, AttributeValue.of(emailId.toString())));
        mail.setAttribute(new Attribute(KrafterAttributes.STREAM, AttributeValue.of(resolved.stream().wireName())));
        mail.setAttribute(new Attribute(KrafterAttributes.TRACKING, AttributeValue.of(resolved.tracking())));
        mail.setAttribute(new Attribute(KrafterAttributes.CONFIGURATION_SET, AttributeValue.of(resolved.configurationSet())));
        mail.setAttribute(new Attribute(KrafterAttributes.LIST_UNSUBSCRIBE, AttributeValue.of(resolved.listUnsubscribe())));
        mail.setAttribute(new Attribute(KrafterAttributes.KEY_PREFIX, AttributeValue.of(key.prefix())));
        mail.setAttribute(new Attribute(KrafterAttributes.ACCOUNT, AttributeValue.of(key.accountId())));
    }

    /** The stream asked for, for the event log: a known stream name only, never what the client wrote. */
    private static Optional<String> requestedStream(PolicyRequest request) {
        List<String> values = request.streamHeaders().stream().map(String::strip).distinct().toList();
        if (values.isEmpty()) {
            return Optional.of(Stream.TRANSACTIONAL.wireName());
        }
        return values.size() == 1 ? Stream.fromWireName(values.get(0)).map(Stream::wireName) : Optional.empty();
    }

    public static PolicyRequest request(ApiKey key, Mail mail) throws MessagingException {
        MimeMessage message = mail.getMessage();
        return new PolicyRequest(key, headers(message, STREAM_HEADER), headers(message, TRACKING_HEADER),
            sender(mail), recipients(mail), mail.getMessageSize());
    }

    static MessageFacts facts(Mail mail) throws MessagingException {
        MimeMessage message = mail.getMessage();
        return new MessageFacts(sender(mail), recipients(mail), subject(message), message.getMessageID(),
            mail.getMessageSize());
    }

    private static List<String> headers(MimeMessage message, String name) throws MessagingException {
        String[] values = message.getHeader(name);
        return values == null ? List.of() : Arrays.asList(values);
    }

    private static String sender(Mail mail) {
        return mail.getMaybeSender().asOptional().map(MailAddress::asString).orElse("");
    }

    private static List<String> recipients(Mail mail) {
        return mail.getRecipients().stream().map(MailAddress::asString).toList();
    }

    /** A Subject that cannot be decoded is recorded as null rather than failing the send. */
    private static String subject(MimeMessage message) {
        try {
            return message.getSubject();
        } catch (MessagingException | RuntimeException e) {
            return null;
        }
    }
}
