package dev.krafter.relay.smtp;

import java.util.List;

import javax.inject.Inject;

import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.esmtp.EhloCmdHandler;

/**
 * James's EHLO, with the greeting line fixed: 3.8.1 answers {@code 250-relay Hello client [ip])}, one
 * parenthesis too many; here it is {@code 250-relay Hello client [ip]}. Extensions are James's.
 */
public class EhloCommandHandler extends EhloCmdHandler {

    @Inject
    public EhloCommandHandler(MetricFactory metricFactory) {
        super(metricFactory);
    }

    @Override
    protected Response doCoreCmd(SMTPSession session, String command, String parameters) {
        return withoutStrayParenthesis(super.doCoreCmd(session, command, parameters));
    }

    /** The same reply without the {@code )} after the client's address on its first line. */
    static Response withoutStrayParenthesis(Response james) {
        List<CharSequence> lines = james.getLines();
        String code = james.getRetCode();
        // getLines() carries "250-" / "250 " in front of each line
        String first = lines.get(0).toString().substring(code.length() + 1);
        SMTPResponse fixed = new SMTPResponse(code, first.endsWith("])") ? first.substring(0, first.length() - 1) : first);
        lines.stream().skip(1).forEach(line -> fixed.appendLine(line.toString().substring(code.length() + 1)));
        fixed.setEndSession(james.isEndSession());
        return fixed;
    }
}
