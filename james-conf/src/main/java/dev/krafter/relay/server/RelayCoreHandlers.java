package dev.krafter.relay.server;

import java.util.List;

import org.apache.james.protocols.api.handler.CommandDispatcher;
import org.apache.james.protocols.api.handler.CommandHandlerResultLogger;
import org.apache.james.protocols.lib.handler.HandlersPackage;
import org.apache.james.protocols.smtp.core.HelpCmdHandler;
import org.apache.james.protocols.smtp.core.NoopCmdHandler;
import org.apache.james.protocols.smtp.core.QuitCmdHandler;
import org.apache.james.protocols.smtp.core.RsetCmdHandler;
import org.apache.james.protocols.smtp.core.UnknownCmdHandler;
import org.apache.james.protocols.smtp.core.esmtp.MailSizeEsmtpExtension;
import org.apache.james.protocols.smtp.core.log.HookResultLogger;
import org.apache.james.smtpserver.AuthRequiredToRelayRcptHook;
import org.apache.james.smtpserver.DataLineJamesMessageHookHandler;
import org.apache.james.smtpserver.JamesDataCmdHandler;
import org.apache.james.smtpserver.JamesWelcomeMessageHandler;

import dev.krafter.relay.smtp.AuthCommandHandler;
import dev.krafter.relay.smtp.EhloCommandHandler;
import dev.krafter.relay.smtp.HeloCommandHandler;
import dev.krafter.relay.smtp.MailCommandHandler;
import dev.krafter.relay.smtp.RcptCommandHandler;

/**
 * James's core SMTP handlers ({@code CoreCmdHandlerLoader}) minus what a submission relay must not
 * do: no users-repository AUTH (API keys only; James's AUTH command with two defects fixed,
 * {@link AuthCommandHandler}), EHLO/HELO with their greeting fixed, MAIL/RCPT answering UTF-8
 * addresses with 553 5.6.7 ({@link MailCommandHandler}), no STARTTLS (implicit TLS only), no VRFY/EXPN,
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
        EhloCommandHandler.class.getName(),
        HeloCommandHandler.class.getName(),
        HelpCmdHandler.class.getName(),
        MailCommandHandler.class.getName(),
        NoopCmdHandler.class.getName(),
        QuitCmdHandler.class.getName(),
        RcptCommandHandler.class.getName(),
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
