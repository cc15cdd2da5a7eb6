package dev.krafter.relay.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.krafter.relay.server.RelayFixture;

/**
 * No open relay: from 127.0.0.1 (the most trusted-looking address there is) and without
 * AUTH, nothing is accepted, whatever the sender, whatever the recipient domain, local-looking
 * ones included; pipelined or step by step; nothing is recorded.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NoOpenRelayTest {
    static final List<String> RECIPIENTS = List.of("recipient@example.com", "postmaster@localhost", "postmaster",
        "root@localhost", "abuse@127.0.0.1", "user@[127.0.0.1]", "user@krafter-relay", "user@localhost.localdomain",
        "hello@yourdomain.com", "user@gmail.com", "\"user@example.com\"@localhost", "user%example.com@localhost");
    static final List<String> SENDERS = List.of("hello@yourdomain.com", "", "postmaster@localhost", "MAILER-DAEMON@localhost");

    private RelayFixture relay;

    @BeforeAll
    void start() throws Exception {
        relay = RelayFixture.start();
    }

    @AfterAll
    void stop() throws Exception {
        relay.close();
    }

    @Test
    void withoutAuthNoSenderAndNoRecipientIsAccepted() throws Exception {
        long before = relay.emails();
        int tried = 0;
        for (String greeting : List.of("EHLO client.example", "HELO client.example")) {
            for (String from : SENDERS) {
                for (String to : RECIPIENTS) {
                    try (Wire wire = Wire.tls("127.0.0.1", relay.port(), relay.certificate(), 15_000)) {
                        Wire.expect(wire.reply(), "220");
                        Wire.expect(wire.command(greeting), "250");
                        String mail = wire.command("MAIL FROM:<" + from + ">");
                        String rcpt = wire.command("RCPT TO:<" + to + ">");
                        String data = wire.command("DATA");
                        tried++;
                        assertThat(mail).as(from).startsWith("530 5.7.0 Authentication required");
                        assertThat(rcpt).as(to).matches("^5\\d\\d .*");
                        assertThat(data).matches("^5\\d\\d .*");
                    }
                }
            }
        }
        System.out.printf("no open relay: %d sender/recipient pairs without AUTH, 0 accepted%n", tried);
        assertThat(relay.emails()).isEqualTo(before);
    }

    @Test
    void pipelinedTransactionWithoutAuthIsRefusedEntirely() throws Exception {
        long before = relay.emails();
        for (String to : RECIPIENTS) {
            try (Wire wire = Wire.tls("127.0.0.1", relay.port(), relay.certificate(), 15_000)) {
                Wire.expect(wire.reply(), "220");
                wire.write("EHLO client.example\r\nMAIL FROM:<hello@yourdomain.com>\r\nRCPT TO:<" + to + ">\r\nDATA\r\n"
                    + "Subject: open relay?\r\n\r\nno\r\n.\r\nQUIT\r\n");
                List<String> lines = wire.linesUntilClose(15_000);
                assertThat(lines).as(to).noneMatch(l -> l.startsWith("354") || l.contains("id=") || l.startsWith("250 2.1"));
                assertThat(lines).as(to).anyMatch(l -> l.startsWith("530 5.7.0 Authentication required"));
            }
        }
        assertThat(relay.emails()).isEqualTo(before);
    }

    @Test
    void failedAuthDoesNotOpenTheRelay() throws Exception {
        try (Wire wire = Wire.tls("127.4.0.1", relay.port(), relay.certificate(), 15_000)) {
            Wire.expect(wire.reply(), "220");
            Wire.expect(wire.command("EHLO client.example"), "250");
            assertThat(wire.command("AUTH PLAIN " + java.util.Base64.getEncoder().encodeToString(
                "\0apikey\0kr_live_wrong".getBytes()))).startsWith("535");
            assertThat(wire.command("MAIL FROM:<hello@yourdomain.com>")).startsWith("530 5.7.0");
        }
    }
}
