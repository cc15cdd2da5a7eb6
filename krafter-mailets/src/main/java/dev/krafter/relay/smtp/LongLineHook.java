package dev.krafter.relay.smtp;

import javax.inject.Inject;

import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.smtp.MailEnvelope;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.MessageHook;

/**
 * End of DATA: a message that had a line over James's 8192-octet line limit is refused with one
 * reply and nothing recorded. James 3.8.1's line decoder drops such a line; the server's pipeline
 * (james-conf {@code RelaySmtpServerFactory}) marks the transaction with {@link #LINE_TOO_LONG}
 * instead of answering 500 in the middle of DATA, so the client gets this reply at the final dot
 * rather than a 500 followed by a 250 for a message stored without the line.
 */
public class LongLineHook implements MessageHook {
    /** Set on the transaction when a line of its DATA was too long (and dropped). */
    public static final ProtocolSession.AttachmentKey<Boolean> LINE_TOO_LONG =
        ProtocolSession.AttachmentKey.of("krafter.lineTooLong", Boolean.class);

    @Inject
    public LongLineHook() {
    }

    @Override
    public HookResult onMessage(SMTPSession session, MailEnvelope mail) {
        if (session.getAttachment(LINE_TOO_LONG, ProtocolSession.State.Transaction).orElse(false)) {
            return SmtpReplies.LINE_TOO_LONG.hook(HookReturnCode.deny());
        }
        return HookResult.DECLINED;
    }
}
