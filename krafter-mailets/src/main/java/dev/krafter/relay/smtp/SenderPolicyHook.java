package dev.krafter.relay.smtp;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import javax.inject.Inject;
import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.apache.commons.configuration2.Configuration;
import org.apache.james.core.MailAddress;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.smtpserver.JamesMessageHook;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.mailets.KrafterAttributes;
import dev.krafter.relay.policy.AcceptOutcome;
import dev.krafter.relay.policy.EmailRecords;
import dev.krafter.relay.policy.MessageFacts;
import dev.krafter.relay.policy.PolicyDecision;
import dev.krafter.relay.policy.PolicyRequest;
import dev.krafter.relay.policy.PolicyViolation;
import dev.krafter.relay.policy.ResolvedPolicy;
import dev.krafter.relay.policy.SenderPolicy;

/**
 * End of DATA: X-Krafter-* headers → {@link SenderPolicy} → email record + durable queue →
 * {@code 250 2.0.0 OK id=<email id>}, or {@code 550 <policy text>}, or
 * {@code 451 Temporary failure, try again later} for anything unexpected (stack trace in the log
 * only). It replaces James's SendMailHandler: the message is queued here and only here, right
 * after its email record is committed (see {@link EmailRecords#accept}).
 *
 * <p>Each message of a connection (after RSET, or several MAIL transactions) gets its own decision
 * and record: nothing is kept between calls. Runs on the Netty event loop in James 3.8.1, hence
 * the two database round trips at most (see {@link EmailRecords}).
 */
public class SenderPolicyHook implements JamesMessageHook {
    public static final String STREAM_HEADER = "X-Krafter-Stream";
    public static final String TRACKING_HEADER = "X-Krafter-Tracking-Enabled";
    private static final Logger LOGGER = LoggerFactory.getLogger(SenderPolicyHook.class);

    private final EmailRecords records;
    private final SenderPolicy policy;
    private final MailQueueFactory<?> queueFactory;
    private MailQueue queue;

    @Inject
    public SenderPolicyHook(EmailRecords records, SenderPolicy policy, MailQueueFactory<?> queueFactory) {
        this.records = records;
        this.policy = policy;
        this.queueFactory = queueFactory;
    }

    @Override
    public void init(Configuration config) {
        // As James's SendMailHandler does: the spool queue the mailet container reads from.
        queue = queueFactory.createQueue(MailQueueFactory.SPOOL);
    }

    @Override
    public void destroy() {
        try {
            if (queue != null) {
                queue.close();
            }
        } catch (IOException e) {
            LOGGER.debug("error closing the spool queue", e);
        }
    }

    @Override
    public HookResult onMessage(SMTPSession session, Mail mail) {
        Optional<ApiKey> maybeKey = ApiKeyAuthHook.apiKey(session);
        if (maybeKey.isEmpty()) {
            return SmtpReplies.authRequired(); // RequireAuthHook stops this at MAIL; never trust one hook alone
        }
        ApiKey key = maybeKey.get();
        long start = System.nanoTime();
        try {
            PolicyDecision decision = policy.decide(request(key, mail));
            if (decision instanceof PolicyViolation violation) {
                return refused(key, "-", violation, start);
            }
            ResolvedPolicy resolved = (ResolvedPolicy) decision;
            AcceptOutcome outcome = records.accept(key, resolved, facts(mail),
                emailId -> enqueue(mail, key, resolved, emailId));
            if (outcome instanceof PolicyViolation violation) {
                return refused(key, resolved.stream().wireName(), violation, start);
            }
            UUID id = ((AcceptOutcome.Accepted) outcome).emailId();
            LOGGER.info("policy key={} stream={} outcome=accepted id={} ms={}",
                key.prefix(), resolved.stream().wireName(), id, millisSince(start));
            return HookResult.builder().hookReturnCode(HookReturnCode.ok())
                .smtpReturnCode("250").smtpDescription("2.0.0 OK id=" + id).build();
        } catch (Exception e) {
            LOGGER.error("policy key={} outcome=tempfail ms={}: message not accepted", key.prefix(), millisSince(start), e);
            return SmtpReplies.temporaryFailure();
        }
    }

    private void enqueue(Mail mail, ApiKey key, ResolvedPolicy resolved, UUID emailId) throws MessagingException {
        mail.setAttribute(new Attribute(KrafterAttributes.EMAIL_ID, AttributeValue.of(emailId.toString())));
        mail.setAttribute(new Attribute(KrafterAttributes.STREAM, AttributeValue.of(resolved.stream().wireName())));
        mail.setAttribute(new Attribute(KrafterAttributes.TRACKING, AttributeValue.of(resolved.tracking())));
        mail.setAttribute(new Attribute(KrafterAttributes.CONFIGURATION_SET, AttributeValue.of(resolved.configurationSet())));
        mail.setAttribute(new Attribute(KrafterAttributes.LIST_UNSUBSCRIBE, AttributeValue.of(resolved.listUnsubscribe())));
        mail.setAttribute(new Attribute(KrafterAttributes.KEY_PREFIX, AttributeValue.of(key.prefix())));
        queue.enQueue(mail);
    }

    private static HookResult refused(ApiKey key, String stream, PolicyViolation violation, long start) {
        LOGGER.info("policy key={} stream={} outcome={} ms={}", key.prefix(), stream, violation.code().code(), millisSince(start));
        return SmtpReplies.violation(violation);
    }

    static PolicyRequest request(ApiKey key, Mail mail) throws MessagingException {
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

    private static long millisSince(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }
}
