package dev.krafter.relay.smtp;

import java.util.Locale;
import java.util.Optional;

import javax.inject.Inject;

import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.MailHook;

import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.events.RelayEvents;
import dev.krafter.relay.pacing.Backlog;
import dev.krafter.relay.pacing.SendPacer;

/**
 * {@code MAIL FROM} while the spool would take too long to reach SES at the account's rate, or the
 * 24-hour quota is spent → {@code 451 4.7.1 Sending rate limit reached, try again later}, before the
 * client uploads a body. Reads the pacer's cached decision only: no database round trip per MAIL.
 */
public class RateLimitHook implements MailHook {
    private final SendPacer pacer;
    private final RelayEvents events;

    @Inject
    public RateLimitHook(SendPacer pacer, RelayEvents events) {
        this.pacer = pacer;
        this.events = events;
    }

    @Override
    public HookResult doMail(SMTPSession session, MaybeSender sender) {
        Optional<Backlog.Limit> limit = pacer.state().backlog().limit();
        if (limit.isEmpty()) {
            return HookResult.DECLINED;
        }
        Optional<ApiKey> key = ApiKeyAuthHook.apiKey(session);
        events.smtpRateLimited(key.map(ApiKey::prefix).orElse(null), key.map(ApiKey::accountId).orElse(null),
            SenderPolicyHook.remoteIp(session), limit.get().name().toLowerCase(Locale.ROOT));
        return SmtpReplies.rateLimited();
    }
}
