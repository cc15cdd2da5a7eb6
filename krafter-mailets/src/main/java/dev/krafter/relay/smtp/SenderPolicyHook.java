package dev.krafter.relay.smtp;

import java.util.Arrays;
import java.util.Optional;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.smtpserver.JamesMessageHook;
import org.apache.mailet.Mail;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.events.RelayEvents;
import dev.krafter.relay.events.Submission;
import dev.krafter.relay.events.Timed;
import dev.krafter.relay.policy.PolicyViolation;
import dev.krafter.relay.submission.Decision;
import dev.krafter.relay.submission.Submissions;

/**
 * End of DATA: the message to {@link Submissions#accept}, the {@link Decision} to a reply —
 * {@code 250 2.0.0 OK id=<email id>} (a duplicate: the first message's id, and says so),
 * {@code 550 <policy text>}, or
 * {@code 451 Temporary failure, try again later} (stack trace in the log only) — and one event line.
 * It replaces James's SendMailHandler: the message is queued by the accept sequence, in the commit
 * that records it.
 *
 * <p>Each message of a connection (after RSET, or several MAIL transactions) gets its own decision
 * and record: nothing is kept between calls.
 */
public class SenderPolicyHook implements JamesMessageHook {
    public static final String STREAM_HEADER = Submissions.STREAM_HEADER;
    public static final String TRACKING_HEADER = Submissions.TRACKING_HEADER;
    private static final Logger LOGGER = LoggerFactory.getLogger(SenderPolicyHook.class);

    private final Submissions submissions;
    private final RelayEvents events;

    @Inject
    public SenderPolicyHook(Submissions submissions, RelayEvents events) {
        this.submissions = submissions;
        this.events = events;
        events.knownRejectionCodes(Arrays.stream(PolicyViolation.Code.values()).map(PolicyViolation.Code::code).toList());
    }

    @Override
    public HookResult onMessage(SMTPSession session, Mail mail) {
        Optional<ApiKey> maybeKey = ApiKeyAuthHook.apiKey(session);
        if (maybeKey.isEmpty()) {
            return SmtpReplies.authRequired(); // RequireAuthHook stops this at MAIL; never trust one hook alone
        }
        ApiKey key = maybeKey.get();
        Timed<Decision> timed = events.timeDecision(() -> submissions.accept(key, mail));
        Submission submission = submission(session, key, mail);
        Decision decision = timed.value();
        if (decision instanceof Decision.Accepted accepted) {
            events.smtpAccepted(submission, accepted.emailId(), accepted.policy().stream().wireName(),
                accepted.policy().configurationSet(), timed.elapsed());
            return SmtpReplies.ACCEPTED.hook(HookReturnCode.ok(), accepted.emailId().toString());
        }
        if (decision instanceof Decision.Duplicate duplicate) {
            events.smtpDuplicate(submission, duplicate.firstEmailId(), timed.elapsed());
            return SmtpReplies.ACCEPTED.hook(HookReturnCode.ok(), duplicate.firstEmailId() + SmtpReplies.DUPLICATE_SUFFIX);
        }
        if (decision instanceof Decision.Refused refused) {
            events.smtpRejected(submission, refused.stream().orElse(null), refused.violation().code().code(), timed.elapsed());
            return SmtpReplies.violation(refused.violation());
        }
        Exception error = ((Decision.Deferred) decision).error();
        LOGGER.error("key={} message not accepted (451) after {} ms", key.prefix(), timed.elapsed().toMillis(), error);
        events.smtpDeferred(submission, error, timed.elapsed());
        return SmtpReplies.temporaryFailure();
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
}
