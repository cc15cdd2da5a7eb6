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
import dev.krafter.relay.events.RelayEvents;
import dev.krafter.relay.events.Submission;
import dev.krafter.relay.events.Timed;
import dev.krafter.relay.mailets.KrafterAttributes;
import dev.krafter.relay.policy.AcceptOutcome;
import dev.krafter.relay.policy.EmailRecords;
import dev.krafter.relay.policy.MessageFacts;
import dev.krafter.relay.policy.PolicyDecision;
import dev.krafter.relay.policy.PolicyRequest;
import dev.krafter.relay.policy.PolicyViolation;
import dev.krafter.relay.policy.ResolvedPolicy;
import dev.krafter.relay.policy.SenderPolicy;
import dev.krafter.relay.policy.Stream;

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
    private final RelayEvents events;
    private MailQueue queue;

    @Inject
    public SenderPolicyHook(EmailRecords records, SenderPolicy policy, MailQueueFactory<?> queueFactory, RelayEvents events) {
        this.records = records;
        this.policy = policy;
        this.queueFactory = queueFactory;
        this.events = events;
        events.knownRejectionCodes(Arrays.stream(PolicyViolation.Code.values()).map(PolicyViolation.Code::code).toList());
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
        Timed<Decision> timed = events.timeDecision(() -> decide(key, mail));
        Submission submission = submission(session, key, mail);
        long ms = timed.elapsed().toMillis();
        Decision decision = timed.value();
        if (decision instanceof Decision.Accepted accepted) {
            LOGGER.info("policy key={} stream={} outcome=accepted id={} ms={}",
                key.prefix(), accepted.policy().stream().wireName(), accepted.emailId(), ms);
            events.smtpAccepted(submission, accepted.emailId(), accepted.policy().stream().wireName(),
                accepted.policy().configurationSet(), timed.elapsed());
            return HookResult.builder().hookReturnCode(HookReturnCode.ok())
                .smtpReturnCode("250").smtpDescription("2.0.0 OK id=" + accepted.emailId()).build();
        }
        if (decision instanceof Decision.Refused refused) {
            String code = refused.violation().code().code();
            LOGGER.info("policy key={} stream={} outcome={} ms={}", key.prefix(), refused.stream().orElse("-"), code, ms);
            events.smtpRejected(submission, refused.stream().orElse(null), code, timed.elapsed());
            return SmtpReplies.violation(refused.violation());
        }
        Exception error = ((Decision.Deferred) decision).error();
        LOGGER.error("policy key={} outcome=tempfail ms={}: message not accepted", key.prefix(), ms, error);
        events.smtpDeferred(submission, error, timed.elapsed());
        return SmtpReplies.temporaryFailure();
    }

    /** What became of one message at the end of DATA; the reply and the event follow from it. */
    private sealed interface Decision {
        record Accepted(UUID emailId, ResolvedPolicy policy) implements Decision {
        }

        record Refused(Optional<String> stream, PolicyViolation violation) implements Decision {
        }

        record Deferred(Exception error) implements Decision {
        }
    }

    private Decision decide(ApiKey key, Mail mail) {
        try {
            PolicyRequest request = request(key, mail);
            PolicyDecision decision = policy.decide(request);
            if (decision instanceof PolicyViolation violation) {
                return new Decision.Refused(requestedStream(request), violation);
            }
            ResolvedPolicy resolved = (ResolvedPolicy) decision;
            AcceptOutcome outcome = records.accept(key, resolved, facts(mail),
                emailId -> enqueue(mail, key, resolved, emailId));
            if (outcome instanceof PolicyViolation violation) {
                return new Decision.Refused(Optional.of(resolved.stream().wireName()), violation);
            }
            return new Decision.Accepted(((AcceptOutcome.Accepted) outcome).emailId(), resolved);
        } catch (Exception e) {
            return new Decision.Deferred(e);
        }
    }

    /** The stream asked for, for the event log: a known stream name only, never what the client wrote. */
    private static Optional<String> requestedStream(PolicyRequest request) {
        List<String> values = request.streamHeaders().stream().map(String::strip).distinct().toList();
        if (values.isEmpty()) {
            return Optional.of(Stream.TRANSACTIONAL.wireName());
        }
        return values.size() == 1 ? Stream.fromWireName(values.get(0)).map(Stream::wireName) : Optional.empty();
    }

    private static Submission submission(SMTPSession session, ApiKey key, Mail mail) {
        long size;
        try {
            size = mail.getMessageSize();
        } catch (MessagingException | RuntimeException e) {
            size = -1;
        }
        return new Submission(key.prefix(), key.accountId(), remoteIp(session), mail.getRecipients().size(), size);
    }

    static String remoteIp(SMTPSession session) {
        return session.getRemoteAddress() == null || session.getRemoteAddress().getAddress() == null
            ? null : session.getRemoteAddress().getAddress().getHostAddress();
    }

    private void enqueue(Mail mail, ApiKey key, ResolvedPolicy resolved, UUID emailId) throws MessagingException {
        mail.setAttribute(new Attribute(KrafterAttributes.EMAIL_ID, AttributeValue.of(emailId.toString())));
        mail.setAttribute(new Attribute(KrafterAttributes.STREAM, AttributeValue.of(resolved.stream().wireName())));
        mail.setAttribute(new Attribute(KrafterAttributes.TRACKING, AttributeValue.of(resolved.tracking())));
        mail.setAttribute(new Attribute(KrafterAttributes.CONFIGURATION_SET, AttributeValue.of(resolved.configurationSet())));
        mail.setAttribute(new Attribute(KrafterAttributes.LIST_UNSUBSCRIBE, AttributeValue.of(resolved.listUnsubscribe())));
        mail.setAttribute(new Attribute(KrafterAttributes.KEY_PREFIX, AttributeValue.of(key.prefix())));
        mail.setAttribute(new Attribute(KrafterAttributes.ACCOUNT, AttributeValue.of(key.accountId())));
        queue.enQueue(mail);
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

}
