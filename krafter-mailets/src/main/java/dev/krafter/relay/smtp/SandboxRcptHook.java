package dev.krafter.relay.smtp;

import java.util.List;
import java.util.Optional;

import javax.inject.Inject;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.api.ProtocolSession.State;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.RcptHook;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.events.RelayEvents;
import dev.krafter.relay.policy.PolicyViolation;
import dev.krafter.relay.policy.SenderPolicy;

/**
 * Sandbox recipients refused at RCPT, with the very text the policy gives at the end of DATA:
 * the client learns before uploading the body, and for that recipient only. Everything else is
 * DECLINED so James's own RCPT checks still run; the end-of-DATA policy checks again anyway.
 */
public class SandboxRcptHook implements RcptHook {
    private static final Logger LOGGER = LoggerFactory.getLogger(SandboxRcptHook.class);

    private final SenderPolicy policy;
    private final RelayEvents events;

    @Inject
    public SandboxRcptHook(SenderPolicy policy, RelayEvents events) {
        this.policy = policy;
        this.events = events;
        events.knownRcptRejectionCodes(List.of(PolicyViolation.Code.SANDBOX_RECIPIENT_NOT_ALLOWED.code(),
            PolicyViolation.Code.SANDBOX_EXTRA_RECIPIENTS.code()));
    }

    @Override
    public HookResult doRcpt(SMTPSession session, MaybeSender sender, MailAddress rcpt) {
        Optional<ApiKey> key = ApiKeyAuthHook.apiKey(session);
        if (key.isEmpty() || !key.get().sandbox().enabled()) {
            return HookResult.DECLINED;
        }
        int accepted = session.getAttachment(SMTPSession.RCPT_LIST, State.Transaction).map(List::size).orElse(0);
        Optional<PolicyViolation> violation = policy.checkRecipient(key.get(), accepted, rcpt.asString());
        if (violation.isPresent()) {
            LOGGER.info("RCPT refused key={} outcome={}", key.get().prefix(), violation.get().code().code());
            events.smtpRcptRejected(key.get().prefix(), key.get().accountId(), SenderPolicyHook.remoteIp(session),
                violation.get().code().code());
            return SmtpReplies.violation(violation.get());
        }
        return HookResult.DECLINED;
    }
}
