package dev.krafter.relay.server;

import java.nio.charset.StandardCharsets;

/** Messages for tests that care about size, not content. */
public final class TestMessages {
    private TestMessages() {
    }

    /** A syntactically valid message of exactly {@code size} octets as it crosses the wire (before dot-stuffing). */
    public static byte[] ofSize(int size) {
        byte[] head = "From: hello@yourdomain.com\r\nTo: recipient@example.com\r\nSubject: big\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII);
        byte[] message = new byte[size];
        System.arraycopy(head, 0, message, 0, head.length);
        for (int i = head.length; i < size; i++) {
            int column = (i - head.length) % 78;
            message[i] = column == 76 ? (byte) '\r' : column == 77 ? (byte) '\n' : (byte) 'x';
        }
        // End on CRLF without leaving a lone CR before it.
        if (message[size - 3] == '\r') {
            message[size - 3] = 'x';
        }
        message[size - 2] = '\r';
        message[size - 1] = '\n';
        return message;
    }
}
