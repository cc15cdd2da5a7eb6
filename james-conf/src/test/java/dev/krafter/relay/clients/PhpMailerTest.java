package dev.krafter.relay.clients;

import java.nio.file.Path;
import java.util.List;

import dev.krafter.relay.server.Clients;

/**
 * PHPMailer (Debian's libphp-phpmailer; WordPress and WP Mail SMTP use it) with SMTPSecure = 'ssl'
 * (src/test/clients/php/phpmailer_send.php). PHP trusts the relay's certificate through openssl.cafile.
 */
class PhpMailerTest extends ClientContract {

    @Override
    protected List<String> command(Path ca) {
        return List.of("php", "-d", "openssl.cafile=" + ca, Clients.script("php/phpmailer_send.php").toString());
    }

    @Override
    protected boolean showsRelayReply() {
        return true;
    }
}
