package dev.krafter.relay.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * A James 3.8.1 defect the relay fixes (docs/reliability.md, "Defects found"): a DATA line
 * over 8192 octets used to get an immediate 500 and then a 250 for the message stored without that
 * line. Now the message gets one reply, {@code 554 5.6.0}, and nothing is recorded; a command line
 * over the limit still gets James's 500 and the session goes on.
 */
class LongDataLineTest extends RelayWithKey {
    @Test
    void dataLineOver8192OctetsRefusesTheMessageWithOneReplyAndQueuesNothing() throws Exception {
        long before = relay.emails();
        try (Wire wire = Wire.tls("127.0.0.1", relay.port(), relay.certificate(), 15_000)) {
            wire.login(key);
            wire.openData();
            wire.write("Subject: long\r\n\r\n" + "a".repeat(8193) + "\r\nlast line\r\n.\r\nQUIT\r\n");
            List<String> lines = wire.linesUntilClose(15_000);
            assertThat(lines).hasSize(2);
            assertThat(lines.get(0)).startsWith("554 5.6.0 Message refused: a line is longer than 8192 octets");
            assertThat(lines.get(1)).startsWith("221");
        }
        assertThat(relay.emails()).isEqualTo(before);
    }

    @Test
    void theNextMessageOnTheSameConnectionIsAcceptedWhole() throws Exception {
        try (Wire wire = Wire.tls("127.0.0.1", relay.port(), relay.certificate(), 15_000)) {
            wire.login(key);
            wire.openData();
            wire.write("Subject: long\r\n\r\n" + "b".repeat(20_000) + "\r\n.\r\n");
            Wire.expect(wire.reply(), "554");
            wire.openData();
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
}
