package dev.krafter.relay.smtp;

import javax.inject.Inject;

import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.MailHook;

/**
 * {@code MAIL FROM} before a successful AUTH → {@code 530 5.7.0 Authentication required}. James
 * relays unauthenticated mail to its own domains and from authorizedAddresses; this relay sends
 * nothing without an API key, so the check is unconditional. Both the username and the API key
 * attachment are required: a session authenticated by some other AuthHook carries no key, and the
 * later hooks need one.
 */
public class RequireAuthHook implements MailHook {

    @Inject
    public RequireAuthHook() {
    }

    @Override
    public HookResult doMail(SMTPSession session, MaybeSender sender) {
        if (session.getUsername() == null || ApiKeyAuthHook.apiKey(session).isEmpty()) {
            return SmtpReplies.authRequired();
        }
        return HookResult.DECLINED;
    }
}
