package dev.krafter.relay.mailets;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.apache.james.lifecycle.api.LifecycleUtil;
import org.apache.james.server.core.MimeMessageWrapper;

/**
 * A message's exact bytes in one right-sized array — the single copy the SES request needs
 * ({@code SdkBytes.fromByteArrayUnsafe} wraps it as is). Reading into a growing buffer instead would
 * allocate about twice the message and copy it again at the end; at 25 MiB that is the difference
 * between one and three whole copies on the heap.
 */
final class RawMessageBytes {
    // The JVM's practical array limit.
    private static final long MAX_ARRAY = Integer.MAX_VALUE - 16;

    private RawMessageBytes() {
    }

    static byte[] of(MimeMessage message) throws MessagingException, IOException {
        if (message instanceof MimeMessageWrapper wrapper) {
            return of(wrapper);
        }
        // Not James's wrapper: James's copy writes it once to a temporary source, then as above.
        MimeMessageWrapper copy = new MimeMessageWrapper(message);
        try {
            return of(copy);
        } finally {
            LifecycleUtil.dispose(copy);
        }
    }

    private static byte[] of(MimeMessageWrapper wrapper) throws MessagingException, IOException {
        // For an unmodified wrapper both calls go to the source: its size as stored, its bytes as stored.
        long size = wrapper.getMessageSize();
        try (InputStream in = wrapper.getMessageInputStream()) {
            return readAll(in, size);
        }
    }

    /** Reads {@code in} to its end; {@code expectedSize} sizes the array (a wrong size only costs a copy). */
    static byte[] readAll(InputStream in, long expectedSize) throws IOException {
        if (expectedSize < 0 || expectedSize > MAX_ARRAY) {
            return in.readAllBytes();
        }
        byte[] bytes = new byte[(int) expectedSize];
        int read = in.readNBytes(bytes, 0, bytes.length);
        if (read < bytes.length) {
            return Arrays.copyOf(bytes, read);
        }
        int next = in.read();
        if (next == -1) {
            return bytes;
        }
        ByteArrayOutputStream more = new ByteArrayOutputStream(bytes.length + 8192);
        more.writeBytes(bytes);
        more.write(next);
        in.transferTo(more);
        return more.toByteArray();
    }
}
