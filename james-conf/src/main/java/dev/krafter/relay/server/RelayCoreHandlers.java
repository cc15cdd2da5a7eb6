package dev.krafter.relay.server;

import java.util.List;

import org.apache.james.protocols.api.handler.CommandDispatcher;
import org.apache.james.protocols.api.handler.CommandHandlerResultLogger;
import org.apache.james.protocols.lib.handler.HandlersPackage;
import org.apache.james.protocols.smtp.core.HeloCmdHandler;
import org.apache.james.protocols.smtp.core.HelpCmdHandler;
import org.apache.james.protocols.smtp.core.NoopCmdHandler;
import org.apache.james.protocols.smtp.core.QuitCmdHandler;
import org.apache.james.protocols.smtp.core.RsetCmdHandler;
import org.apache.james.protocols.smtp.core.UnknownCmdHandler;
import org.apache.james.protocols.smtp.core.esmtp.EhloCmdHandler;
import org.apache.james.protocols.smtp.core.esmtp.MailSizeEsmtpExtension;
import org.apache.james.protocols.smtp.core.log.HookResultLogger;
import org.apache.james.smtpserver.AuthRequiredToRelayRcptHook;
import org.apache.james.smtpserver.DataLineJamesMessageHookHandler;
import org.apache.james.smtpserver.JamesDataCmdHandler;
import org.apache.james.smtpserver.JamesMailCmdHandler;
import org.apache.james.smtpserver.JamesRcptCmdHandler;
import org.apache.james.smtpserver.JamesWelcomeMessageHandler;

import dev.krafter.relay.smtp.AuthCommandHandler;

/**
 * James's core SMTP handlers ({@code CoreCmdHandlerLoader}) minus what a submission relay must not
 * do: no users-repository AUTH (API keys only; James's AUTH command with two defects fixed,
 * {@link AuthCommandHandler}), no STARTTLS (implicit TLS only), no VRFY/EXPN,
 * no postmaster/abuse bypass, no {@code Received:} line (SES gets the client's bytes) and no
 * {@code SendMailHandler}: the sender-policy hook queues the message itself, in the same
 * transaction as its email record. Our own hooks are listed in smtpserver.xml.
 */
public class RelayCoreHandlers implements HandlersPackage {
    private static final List<String> HANDLERS = List.of(
        JamesWelcomeMessageHandler.class.getName(),
        CommandDispatcher.class.getName(),
        AuthCommandHandler.class.getName(),
        JamesDataCmdHandler.class.getName(),
        EhloCmdHandler.class.getName(),
        HeloCmdHandler.class.getName(),
        HelpCmdHandler.class.getName(),
        JamesMailCmdHandler.class.getName(),
        NoopCmdHandler.class.getName(),
        QuitCmdHandler.class.getName(),
        JamesRcptCmdHandler.class.getName(),
        RsetCmdHandler.class.getName(),
        MailSizeEsmtpExtension.class.getName(),
        AuthRequiredToRelayRcptHook.class.getName(),
        DataLineJamesMessageHookHandler.class.getName(),
        UnknownCmdHandler.class.getName(),
        CommandHandlerResultLogger.class.getName(),
        HookResultLogger.class.getName());

    @Override
    public List<String> getHandlers() {
        return HANDLERS;
    }
}
