package dev.krafter.relay.clients;

import java.nio.file.Path;
import java.util.List;

import dev.krafter.relay.server.Clients;

/**
 * Laravel's mailer, Symfony Mailer (Debian's php-symfony-mailer), with the smtps:// DSN that
 * MAIL_ENCRYPTION=ssl / port 465 stands for (src/test/clients/php/symfony_mailer_send.php). PHP trusts
 * the relay's certificate through openssl.cafile.
 */
class SymfonyMailerTest extends ClientContract {

    @Override
    protected List<String> command(Path ca) {
        return List.of("php", "-d", "openssl.cafile=" + ca, Clients.script("php/symfony_mailer_send.php").toString());
    }

    @Override
    protected boolean showsRelayReply() {
        return true;
    }
}
