package dev.krafter.relay.clients;

import java.nio.file.Path;
import java.util.List;

import dev.krafter.relay.server.Clients;

/**
 * Python's smtplib.SMTP_SSL with an EmailMessage and send_message (src/test/clients/smtplib_message.py).
 * send_message does not return the relay's reply; success is what it reports plus what reached SES.
 */
class SmtplibTest extends ClientContract {

    @Override
    protected List<String> command(Path ca) {
        return List.of("python3", Clients.script("smtplib_message.py").toString());
    }

    @Override
    protected boolean showsRelayReply() {
        return false;
    }
}
