package dev.krafter.relay.smtp;

import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.core.AbstractHookableCmdHandler;
import org.apache.james.protocols.smtp.hook.HookResult;

/** A hook result as the client would read it: James's own conversion to the reply line. */
final class Replies {
    private Replies() {
    }

    static String line(HookResult result) {
        SMTPResponse response = AbstractHookableCmdHandler.calcDefaultSMTPResponse(result);
        return response == null ? null : String.join("\r\n", response.getLines()); // lines carry their code
    }
}
