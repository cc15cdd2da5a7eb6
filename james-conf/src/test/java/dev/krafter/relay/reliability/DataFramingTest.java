package dev.krafter.relay.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import dev.krafter.relay.server.Clients;

/**
 * DATA as the relay frames it: runs of plain lines in one frame, every other line through James's
 * line framer. SES must get the client's message octet for octet, however the client's writes
 * and TLS records cut it, and the lines James guards (a leading dot, the final dot, a bare LF, an
 * over-long line) keep their replies.
 */
class DataFramingTest extends RelayWithKey {
    private static final String HEADERS = "From: hello@yourdomain.com\r\nTo: recipient@example.com\r\nSubject: framing\r\n\r\n";

    @Test
    void everyOctetArrivesHoweverTheWritesCutTheMessage() throws Exception {
        byte[] message = message(new Random(1), 300_000);
        for (int maxWrite : new int[] {Integer.MAX_VALUE, 40_000, 3_000, 200}) {
            try (Wire wire = Wire.tls("127.0.0.1", relay.port(), relay.certificate(), 30_000)) {
                wire.login(key);
                wire.openData();
                writeInPieces(wire, concat(dotStuffed(message), ".\r\n".getBytes(StandardCharsets.US_ASCII)), new Random(maxWrite), maxWrite);
                String reply = Wire.expect(wire.reply(), "250 2.0.0 OK id=");
                assertThat(Clients.awaitOutbox(relay.outbox(), emailId(reply))).as("writes of at most %d octets", maxWrite).isEqualTo(message);
            }
        }
    }

    @Test
    void aMebibyteMessageArrivesWhole() throws Exception {
        byte[] message = message(new Random(2), 1 << 20);
        try (Wire wire = Wire.tls("127.0.0.1", relay.port(), relay.certificate(), 30_000)) {
            wire.login(key);
            wire.openData();
            wire.write(concat(dotStuffed(message), ".\r\n".getBytes(StandardCharsets.US_ASCII)));
            String reply = Wire.expect(wire.reply(), "250 2.0.0 OK id=");
            assertThat(Clients.awaitOutbox(relay.outbox(), emailId(reply))).isEqualTo(message);
        }
    }

    /** RFC 2920: the next transaction's commands right after the final dot, in the same write. */
    @Test
    void commandsPipelinedAfterTheFinalDotAreCommands() throws Exception {
        byte[] first = (HEADERS + "first\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] second = (HEADERS + "second\r\n..dot\r\n").getBytes(StandardCharsets.US_ASCII);
        try (Wire wire = Wire.tls("127.0.0.1", relay.port(), relay.certificate(), 30_000)) {
            wire.login(key);
            wire.openData();
            wire.write(HEADERS + "first\r\n.\r\nMAIL FROM:<hello@yourdomain.com>\r\nRCPT TO:<recipient@example.com>\r\nDATA\r\n");
            String firstReply = Wire.expect(wire.reply(), "250 2.0.0 OK id=");
            Wire.expect(wire.reply(), "250");
            Wire.expect(wire.reply(), "250");
            Wire.expect(wire.reply(), "354");
            wire.write(HEADERS + "second\r\n...dot\r\n.\r\n");
            String secondReply = Wire.expect(wire.reply(), "250 2.0.0 OK id=");
            assertThat(Clients.awaitOutbox(relay.outbox(), emailId(firstReply))).isEqualTo(first);
            assertThat(Clients.awaitOutbox(relay.outbox(), emailId(secondReply))).isEqualTo(second);
        }
    }

    @Test
    void aBareLfAmongPlainLinesGetsTheSmugglingReplyAndNothingIsRecorded() throws Exception {
        long before = relay.emails();
        try (Wire wire = Wire.tls("127.0.0.1", relay.port(), relay.certificate(), 30_000)) {
            wire.login(key);
            wire.openData();
            wire.write(HEADERS + "plain line\r\n".repeat(500) + "bare\n.\n" + "more\r\n".repeat(10) + ".\r\n");
            List<String> lines = wire.linesUntilClose(15_000);
            assertThat(lines).first().asString().startsWith("500 5.0.0 line delimiter must be CRLF");
        }
        assertThat(relay.emails()).isEqualTo(before);
    }

    /** An over-long line that starts with a dot and arrives over several TLS records. */
    @Test
    void anOverLongDotLineAcrossRecordsRefusesTheMessageOnce() throws Exception {
        long before = relay.emails();
        try (Wire wire = Wire.tls("127.0.0.1", relay.port(), relay.certificate(), 30_000)) {
            wire.login(key);
            wire.openData();
            wire.write(HEADERS + "plain\r\n");
            for (int i = 0; i < 5; i++) {
                wire.write((i == 0 ? "." : "") + "d".repeat(4000));
            }
            wire.write("\r\nafter\r\n.\r\n");
            Wire.expect(wire.reply(), "554 5.6.0 Message refused: a line is longer than 8192 octets");
            wire.openData();
            wire.write(HEADERS + "fine\r\n.\r\n");
            Wire.expect(wire.reply(), "250 2.0.0 OK id=");
        }
        assertThat(relay.emails()).isEqualTo(before + 1);
    }

    /** Lines of every length up to the limit, plain and with leading dots, with the odd 8-bit octet. */
    private static byte[] message(Random random, int size) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(size + 10_000);
        out.writeBytes(HEADERS.getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(("x".repeat(8192) + "\r\n.\r\n..\r\n" + ".".repeat(8191) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        while (out.size() < size) {
            int length = switch (random.nextInt(10)) {
                case 0 -> 0;
                case 1 -> 8000 + random.nextInt(192);  // 8191 at most: stuffed, a leading dot makes it 8192
                default -> random.nextInt(999);
            };
            byte[] line = new byte[length];
            for (int i = 0; i < length; i++) {
                line[i] = (byte) (random.nextInt(50) == 0 ? 0xC3 : ' ' + random.nextInt(95));
            }
            if (length > 0 && random.nextInt(8) == 0) {
                line[0] = '.';
            }
            out.writeBytes(line);
            out.writeBytes(new byte[] {'\r', '\n'});
        }
        return out.toByteArray();
    }

    /** RFC 5321 §4.5.2, as a client sends it: a dot in front of every line that starts with one. */
    private static byte[] dotStuffed(byte[] message) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(message.length + 10_000);
        boolean lineStart = true;
        for (byte b : message) {
            if (lineStart && b == '.') {
                out.write('.');
            }
            out.write(b);
            lineStart = b == '\n';
        }
        return out.toByteArray();
    }

    private static void writeInPieces(Wire wire, byte[] bytes, Random random, int maxWrite) throws IOException {
        for (int offset = 0; offset < bytes.length; ) {
            int length = Math.min(bytes.length - offset, maxWrite == Integer.MAX_VALUE ? bytes.length : 1 + random.nextInt(maxWrite));
            byte[] piece = new byte[length];
            System.arraycopy(bytes, offset, piece, 0, length);
            wire.write(piece);
            offset += length;
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] all = new byte[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private static String emailId(String reply) {
        return reply.substring(reply.indexOf("id=") + 3).trim();
    }
}
