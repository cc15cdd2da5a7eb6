package dev.krafter.relay.smtp;

import javax.inject.Inject;

import org.apache.james.domainlist.api.DomainList;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.smtpserver.JamesMailCmdHandler;

/**
 * James's MAIL, answering a non-ASCII sender address with RFC 6531's {@code 553 5.6.7} instead of
 * James's "501 5.1.7 Syntax error in sender address": the address is fine, it needs SMTPUTF8, which
 * the relay does not offer because SES does not support it. Checked before James parses the address.
 */
public class MailCommandHandler extends JamesMailCmdHandler {

    @Inject
    public MailCommandHandler(MetricFactory metricFactory, DomainList domainList) {
        super(metricFactory, domainList);
    }

    @Override
    protected Response doFilterChecks(SMTPSession session, String command, String parameters) {
        return SmtpReplies.asciiOr(parameters, SmtpReplies.UTF8_SENDER_RESPONSE, () -> super.doFilterChecks(session, command, parameters));
    }
}
