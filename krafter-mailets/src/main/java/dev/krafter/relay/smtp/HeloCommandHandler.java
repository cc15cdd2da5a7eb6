package dev.krafter.relay.smtp;

import javax.inject.Inject;

import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.HeloCmdHandler;

/** James's HELO with the greeting fixed as in {@link EhloCommandHandler}. */
public class HeloCommandHandler extends HeloCmdHandler {

    @Inject
    public HeloCommandHandler(MetricFactory metricFactory) {
        super(metricFactory);
    }

    @Override
    protected Response doCoreCmd(SMTPSession session, String command, String parameters) {
        return EhloCommandHandler.withoutStrayParenthesis(super.doCoreCmd(session, command, parameters));
    }
}
