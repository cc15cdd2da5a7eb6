package dev.krafter.relay.clients;

import java.nio.file.Path;
import java.util.List;

import dev.krafter.relay.server.Clients;

/**
 * Rails' ActionMailer (Debian's ruby-actionmailer) with ssl: true, authentication: :plain and
 * ca_file (src/test/clients/ruby/actionmailer_send.rb). deliver_now does not return the relay's reply.
 */
class ActionMailerTest extends ClientContract {

    @Override
    protected List<String> command(Path ca) {
        return List.of("ruby", Clients.script("ruby/actionmailer_send.rb").toString());
    }

    @Override
    protected boolean showsRelayReply() {
        return false;
    }
}
