package dev.krafter.relay.queue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

/**
 * A message written out once into a buffer sized from the start, and handed to the driver as a
 * stream over that buffer: one copy of the message on the heap per enqueue, none for growing or
 * trimming the array.
 */
final class MessageBytes extends ByteArrayOutputStream {
    private MessageBytes(int expected) {
        super(Math.max(expected, 1024));
    }

    static MessageBytes of(MimeMessage message, long expectedSize) throws IOException, MessagingException {
        int expected = expectedSize > 0 && expectedSize < Integer.MAX_VALUE - 64 ? (int) expectedSize + 64 : 8192;
        MessageBytes bytes = new MessageBytes(expected);
        message.writeTo(bytes);
        return bytes;
    }

    int length() {
        return count;
    }

    InputStream stream() {
        return new ByteArrayInputStream(buf, 0, count);
    }
}
