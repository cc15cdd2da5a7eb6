package dev.krafter.relay.clients;

import java.nio.file.Path;
import java.util.List;

import dev.krafter.relay.server.Clients;

/** curl (src/test/clients/curl_send.sh): smtps:// with --ssl-reqd and --cacert. */
class CurlTest extends ClientContract {

    @Override
    protected List<String> command(Path ca) {
        return List.of("sh", Clients.script("curl_send.sh").toString());
    }

    @Override
    protected boolean showsRelayReply() {
        return true;
    }
}
