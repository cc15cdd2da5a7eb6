package dev.krafter.relay.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.krafter.relay.server.RelayFixture;
import dev.krafter.relay.server.SmtpsClient;

/** The EHLO/HELO greeting line, and what internationalized (UTF-8) addresses get without SMTPUTF8. */
class GreetingAndAddressRepliesTest {
    private static final String UTF8_SENDER = "553 5.6.7 UTF-8 addresses are not supported (no SMTPUTF8): "
        + "use an ASCII sender address; a non-ASCII domain can be given in Punycode (xn--...)";
    private static final String UTF8_RECIPIENT = "553 5.6.7 UTF-8 addresses are not supported (no SMTPUTF8): "
        + "use an ASCII recipient address; a non-ASCII domain can be given in Punycode (xn--...)";
    private static RelayFixture relay;
    private static String key;

    @BeforeAll
    static void start() throws Exception {
        relay = RelayFixture.start();
        key = relay.newKey("acme");
    }

    @AfterAll
    static void stop() throws Exception {
        relay.close();
    }

    @Test
    void ehloAndHeloGreetWithoutAStrayParenthesis() throws Exception {
        try (SmtpsClient smtp = relay.connect()) {
            String ehlo = smtp.command("EHLO probe.example");
            assertThat(ehlo.split("\n")[0]).isEqualTo("250-krafter-relay Hello probe.example [127.0.0.1]");
            assertThat(ehlo).contains("250-AUTH LOGIN PLAIN", "250-8BITMIME", "250 SIZE 26214400").doesNotContain("SMTPUTF8");
            assertThat(smtp.command("HELO probe.example")).isEqualTo("250 krafter-relay Hello probe.example [127.0.0.1]");
        }
    }

    @Test
    void utf8AddressesGet553WithTheReasonAndTheTransactionGoesOn() throws Exception {
        try (SmtpsClient smtp = relay.connect().login(key)) {
            assertThat(smtp.command("MAIL FROM:<jösé@bücher.example>")).isEqualTo(UTF8_SENDER);
            assertThat(smtp.command("MAIL FROM:<hello@bücher.example> SMTPUTF8")).isEqualTo(UTF8_SENDER);
            assertThat(smtp.command("MAIL FROM:<hello@yourdomain.com>")).startsWith("250 ");
            assertThat(smtp.command("RCPT TO:<jösé@bücher.example>")).isEqualTo(UTF8_RECIPIENT);
            assertThat(smtp.command("RCPT TO:<recipient@xn--bcher-kva.example>")).startsWith("250 ");
            // what stays James's: a malformed ASCII address
            assertThat(smtp.command("RCPT TO:<not an address>")).isEqualTo("553 5.1.3 Syntax error in recipient address");
        }
    }
}
