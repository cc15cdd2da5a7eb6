package dev.krafter.relay.smtp;

import javax.inject.Inject;

import org.apache.james.domainlist.api.DomainList;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.smtpserver.JamesRcptCmdHandler;

/** James's RCPT, answering a non-ASCII recipient address with {@code 553 5.6.7} as {@link MailCommandHandler} does. */
public class RcptCommandHandler extends JamesRcptCmdHandler {

    @Inject
    public RcptCommandHandler(MetricFactory metricFactory, DomainList domainList) {
        super(metricFactory, domainList);
    }

    @Override
    protected Response doFilterChecks(SMTPSession session, String command, String parameters) {
        return SmtpReplies.asciiOr(parameters, SmtpReplies.UTF8_RECIPIENT_RESPONSE, () -> super.doFilterChecks(session, command, parameters));
    }
}
