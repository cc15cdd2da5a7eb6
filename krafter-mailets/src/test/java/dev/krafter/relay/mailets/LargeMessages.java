package dev.krafter.relay.mailets;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.util.SplittableRandom;

/** A realistic large message: text part plus a base64 attachment, CRLF lines of 76 characters. */
final class LargeMessages {
    /** The SMTP limit from the product page: 25 MiB including headers and attachments. */
    static final int SMTP_LIMIT = 26_214_400;

    private LargeMessages() {
    }

    /** About {@code approximateSize} bytes with {@code extraHeaders}; the attachment does not depend on the headers. */
    static byte[] message(int approximateSize, String extraHeaders) {
        String head = "From: Sender <sender@example.com>\r\n"
            + "To: to@example.net\r\n"
            + "Subject: large attachment\r\n"
            + extraHeaders
            + "MIME-Version: 1.0\r\n"
            + "Content-Type: multipart/mixed; boundary=\"big\"\r\n"
            + "\r\n"
            + "--big\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nSee attached.\r\n"
            + "--big\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
            + "Content-Disposition: attachment; filename=\"data.bin\"\r\n\r\n";
        byte[] headBytes = head.getBytes(US_ASCII);
        byte[] tail = "--big--\r\n".getBytes(US_ASCII);
        byte[] alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".getBytes(US_ASCII);
        SplittableRandom random = new SplittableRandom(25);
        int lineLength = 78;
        int lines = (approximateSize - 1024) / lineLength;
        // One exact-size array: a measurement harness must not leave growth copies behind.
        byte[] message = new byte[headBytes.length + lines * lineLength + tail.length];
        System.arraycopy(headBytes, 0, message, 0, headBytes.length);
        int at = headBytes.length;
        for (int n = 0; n < lines; n++) {
            for (int i = 0; i < 76; i++) {
                message[at++] = alphabet[random.nextInt(64)];
            }
            message[at++] = '\r';
            message[at++] = '\n';
        }
        System.arraycopy(tail, 0, message, at, tail.length);
        return message;
    }
}
