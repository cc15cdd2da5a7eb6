package dev.krafter.relay.smtp;

import javax.inject.Inject;

import org.apache.commons.configuration2.Configuration;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.MailHook;

/**
 * At most {@code maxMessages} mail transactions ({@code MAIL} commands that got this far) a
 * connection; the next {@code MAIL} → {@code 421 4.7.0 Too many messages on this connection,
 * reconnect} and the server closes the connection. James 3.8.1 has no such limit. Counting at
 * {@code MAIL}, not at the final dot, also bounds clients that loop MAIL/RSET. A value below 1
 * turns the limit off.
 */
public class MessagesPerConnectionHook implements MailHook {
    private static final ProtocolSession.AttachmentKey<Integer> COUNT =
        ProtocolSession.AttachmentKey.of("krafter.mailTransactions", Integer.class);

    /** KRAFTER_MAX_MESSAGES_PER_CONNECTION when unset. */
    public static final int DEFAULT_MAX_MESSAGES = 1000;

    private int maxMessages = DEFAULT_MAX_MESSAGES;

    @Inject
    public MessagesPerConnectionHook() {
    }

    @Override
    public void init(Configuration config) {
        maxMessages = config.getInt("maxMessages", maxMessages);
    }

    @Override
    public HookResult doMail(SMTPSession session, MaybeSender sender) {
        if (maxMessages < 1) {
            return HookResult.DECLINED;
        }
        int count = session.getAttachment(COUNT, ProtocolSession.State.Connection).orElse(0) + 1;
        session.setAttachment(COUNT, count, ProtocolSession.State.Connection);
        if (count > maxMessages) {
            return SmtpReplies.TOO_MANY_MESSAGES.hook(HookReturnCode.disconnected(HookReturnCode.Action.DENYSOFT));
        }
        return HookResult.DECLINED;
    }
}
