package dev.krafter.relay.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import dev.krafter.relay.server.RelayFixture;

/**
 * A James 3.8.1 defect the relay fixes (docs/reliability.md, "Defects found"): a DATA line
 * over 8192 octets used to get an immediate 500 and then a 250 for the message stored without that
 * line. Now the message gets one reply, {@code 554 5.6.0}, and nothing is recorded; a command line
 * over the limit still gets James's 500 and the session goes on.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LongDataLineTest {
    private RelayFixture relay;
    private String key;

    @BeforeAll
    void start() throws Exception {
        relay = RelayFixture.start();
        key = relay.newKey("acme");
    }

    /** MAIL, RCPT, DATA up to the 354. */
    private static void openData(Wire wire) throws IOException {
        Wire.expect(wire.command("MAIL FROM:<hello@yourdomain.com>"), "250");
        Wire.expect(wire.command("RCPT TO:<recipient@example.com>"), "250");
        Wire.expect(wire.command("DATA"), "354");
    }

    @AfterAll
    void stop() throws Exception {
        if (relay != null) {
            relay.close();
        }
    }

    @Test
    void dataLineOver8192OctetsRefusesTheMessageWithOneReplyAndQueuesNothing() throws Exception {
        long before = emails();
        try (Wire wire = Wire.tls("127.0.0.1", relay.port(), relay.certificate(), 15_000)) {
            wire.login(key);
            openData(wire);
            wire.write("Subject: long\r\n\r\n" + "a".repeat(8193) + "\r\nlast line\r\n.\r\nQUIT\r\n");
            List<String> lines = wire.linesUntilClose(15_000);
            assertThat(lines).hasSize(2);
            assertThat(lines.get(0)).startsWith("554 5.6.0 Message refused: a line is longer than 8192 octets");
            assertThat(lines.get(1)).startsWith("221");
        }
        assertThat(emails()).isEqualTo(before);
    }

    @Test
    void theNextMessageOnTheSameConnectionIsAcceptedWhole() throws Exception {
        try (Wire wire = Wire.tls("127.0.0.1", relay.port(), relay.certificate(), 15_000)) {
            wire.login(key);
            openData(wire);
            wire.write("Subject: long\r\n\r\n" + "b".repeat(20_000) + "\r\n.\r\n");
            Wire.expect(wire.reply(), "554");
            openData(wire);
            wire.write("Subject: short\r\n\r\nfine\r\n.\r\n");
            Wire.expect(wire.reply(), "250 2.0.0 OK id=");
        }
    }

    @Test
    void aCommandLineOverTheLimitStillGetsJames500AndTheSessionGoesOn() throws Exception {
        try (Wire wire = Wire.tls("127.0.0.1", relay.port(), relay.certificate(), 15_000)) {
            wire.login(key);
            Wire.expect(wire.command("NOOP " + "c".repeat(9000)), "500");
            Wire.expect(wire.command("NOOP"), "250");
        }
    }

    private long emails() throws Exception {
        try (Connection c = relay.database().database().dataSource().getConnection();
             Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT count(*) FROM emails")) {
            r.next();
            return r.getLong(1);
        }
    }
}
