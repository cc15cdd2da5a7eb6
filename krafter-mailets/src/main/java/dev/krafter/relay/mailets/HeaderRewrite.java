package dev.krafter.relay.mailets;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Predicate;

import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.apache.james.lifecycle.api.LifecycleUtil;
import org.apache.james.server.core.MailImpl;
import org.apache.james.server.core.MimeMessageInputStreamSource;
import org.apache.james.server.core.MimeMessageWrapper;
import org.apache.mailet.Mail;

/**
 * Drops and adds header fields of a mail's message byte for byte, without javax.mail header setters.
 *
 * <p>Why not {@code MimeMessage.setHeader}: it marks James's {@link MimeMessageWrapper} modified, and
 * every later {@code writeTo} then runs {@code saveChanges()}, which may add MIME-Version,
 * Content-Type, Content-Transfer-Encoding or Message-ID fields and parses a multipart body into memory.
 *
 * <p>Instead the message's current bytes are streamed once: the header section is read into a
 * {@link HeaderBlock} and edited, and the edited header bytes followed by the rest of the stream (the
 * body, untouched) become a new James {@link MimeMessageInputStreamSource} — in memory up to 100 KB,
 * a temporary file beyond — under a new, unmodified {@link MimeMessageWrapper}. The body never sits
 * on the heap as a whole, and James writes the new message from its source as is.
 *
 * <p>Why a copy rather than a lazy source reading the old message: {@link MailImpl} disposes the
 * message it replaces, and the message it holds is backed by a disposable temporary file (James
 * copies every dequeued message into one), so a source still reading the old message would read a
 * deleted file. The copy is streamed; its cost is disk I/O, not heap.
 */
final class HeaderRewrite {
    private static final int READ_BUFFER = 64 * 1024;

    private final Predicate<String> remove;
    private final List<HeaderField> add;

    /**
     * @param remove names of the fields to drop, tested in lower case
     * @param add    fields appended after the remaining ones
     */
    HeaderRewrite(Predicate<String> remove, List<HeaderField> add) {
        this.remove = Objects.requireNonNull(remove, "remove");
        this.add = List.copyOf(add);
    }

    /** @return whether the message was replaced (false: nothing to drop and nothing to add) */
    boolean applyTo(Mail mail) throws MessagingException {
        MimeMessage message = mail.getMessage();
        MimeMessageWrapper copy = null;
        MimeMessageWrapper current;
        if (message instanceof MimeMessageWrapper wrapper) {
            current = wrapper;
        } else {
            // Not James's wrapper (a test double, a foreign Mail): James's copy writes it once to a
            // source we can stream from.
            copy = new MimeMessageWrapper(message);
            current = copy;
        }
        try {
            MimeMessageInputStreamSource edited = rewrite(current);
            if (edited == null) {
                return false;
            }
            install(mail, edited);
            return true;
        } finally {
            if (copy != null) {
                LifecycleUtil.dispose(copy);
            }
        }
    }

    private MimeMessageInputStreamSource rewrite(MimeMessageWrapper current) throws MessagingException {
        // getMessageInputStream: the source's bytes as they are (or, after a javax.mail header edit by
        // another mailet, those headers and the source's body) — never saveChanges().
        InputStream in = new BufferedInputStream(current.getMessageInputStream(), READ_BUFFER);
        try {
            HeaderBlock headers = HeaderBlock.read(in);
            if (add.isEmpty() && !headers.anyNamed(remove)) {
                in.close();
                return null;
            }
            byte[] head = headers.render(remove, add);
            // create() copies the whole stream now and closes it.
            return MimeMessageInputStreamSource.create("krafter-" + UUID.randomUUID(),
                new SequenceInputStream(new ByteArrayInputStream(head), in));
        } catch (IOException e) {
            closeQuietly(in);
            throw new MessagingException("could not rewrite the message headers: " + e.getMessage(), e);
        } catch (MessagingException | RuntimeException e) {
            closeQuietly(in);
            throw e;
        }
    }

    private static void install(Mail mail, MimeMessageInputStreamSource edited) throws MessagingException {
        try {
            if (mail instanceof MailImpl impl) {
                // Takes the source as is (no second copy) and disposes the replaced message.
                impl.setMessageContent(edited);
            } else {
                mail.setMessage(new MimeMessageWrapper(edited));
            }
        } catch (MessagingException | RuntimeException e) {
            edited.dispose();
            throw e;
        }
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // nothing left to release
        }
    }
}
