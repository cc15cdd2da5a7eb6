package dev.krafter.relay.queue;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.UUID;

import org.apache.james.server.core.MailImpl;
import org.apache.james.server.core.MimeMessageInputStreamSource;
import org.apache.james.server.core.MimeMessageWrapper;
import org.apache.mailet.Mail;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.krafter.relay.db.TestDatabase;
import reactor.core.publisher.Flux;

/**
 * A 25 MiB message through the PostgreSQL queue, in and out, counting the bytes the JVM allocates
 * for it: about one copy of the message on the way in (the buffer the driver streams from) and one on
 * the way out (the binary {@code bytea} the dequeued message parses in place, read by the thread that
 * takes the mail, not with the lease). Allocation bounds the
 * heap a message in flight can hold; the figures are printed for docs/performance-notes.md.
 */
class LargeQueuedMessageTest {
    private static final int SIZE = 26_214_400 - 1024;

    @Test
    void a25MiBMessageGoesInAndOutWithAboutOneCopyEachWay(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("large.eml");
        byte[] original = message();
        Files.write(file, original);
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(original);
        original = null;

        try (TestDatabase db = TestDatabase.create(); TestSpool spool = new TestSpool(db)) {
            PostgresMailQueue queue = spool.spool();
            // As the SMTP server hands it over: a message backed by a file, not by the heap.
            MimeMessageWrapper message = new MimeMessageWrapper(MimeMessageInputStreamSource.create("large", Files.newInputStream(file)));
            Mail mail = MailImpl.builder().name("large-" + UUID.randomUUID()).sender("sender@example.com")
                .addRecipient("to@example.net").mimeMessage(message).build();

            long before = allocated();
            queue.enQueue(mail);
            long in = allocated() - before;

            // The lease runs on the queue's consumer thread, started by the subscription; a large message
            // is read apart, by the thread that takes the mail (a delivery thread; here this one).
            var items = Flux.from(queue.deQueue()).toIterable().iterator();
            MailQueueItemHolder holder = new MailQueueItemHolder(items.next());
            long leased = allocatedBy("krafter-queue-" + queue.getName().asString());
            before = allocated();
            Mail dequeuedMail = holder.item.getMail();
            long out = leased + allocated() - before;

            byte[] dequeued;
            try (var stream = new java.io.ByteArrayOutputStream(SIZE + 1024)) {
                dequeuedMail.getMessage().writeTo(stream);
                dequeued = stream.toByteArray();
            }
            assertThat(MessageDigest.getInstance("SHA-256").digest(dequeued)).isEqualTo(digest);
            holder.item.done(org.apache.james.queue.api.MailQueue.MailQueueItem.CompletionStatus.SUCCESS);

            double mib = 1024.0 * 1024.0;
            System.out.printf("queue, 25 MiB message (%.1f MiB): allocated on enqueue %.1f MiB (%.2f x), on dequeue %.1f MiB (%.2f x)%n",
                SIZE / mib, in / mib, (double) in / SIZE, out / mib, (double) out / SIZE);
            assertThat(in).as("bytes allocated to enqueue").isLessThan((long) (SIZE * 1.5));
            assertThat(out).as("bytes allocated to dequeue").isLessThan((long) (SIZE * 1.5));
            assertThat(spool.rows()).isZero();
        }
    }

    private record MailQueueItemHolder(org.apache.james.queue.api.MailQueue.MailQueueItem item) {
    }

    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    /** All a live thread has allocated since it started. */
    private static long allocatedBy(String threadName) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Thread thread = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(threadName))
            .findFirst().orElseThrow(() -> new AssertionError("no thread " + threadName));
        return threads.getThreadAllocatedBytes(thread.getId());
    }

    private static byte[] message() {
        String head = "From: sender@example.com\r\nTo: to@example.net\r\nSubject: large\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n";
        byte[] headBytes = head.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] message = new byte[SIZE];
        System.arraycopy(headBytes, 0, message, 0, headBytes.length);
        java.util.SplittableRandom random = new java.util.SplittableRandom(25);
        byte[] alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        int at = headBytes.length;
        while (at + 78 <= SIZE) {
            for (int i = 0; i < 76; i++) {
                message[at++] = alphabet[random.nextInt(64)];
            }
            message[at++] = '\r';
            message[at++] = '\n';
        }
        while (at < SIZE - 2) {
            message[at++] = 'A';
        }
        message[SIZE - 2] = '\r';
        message[SIZE - 1] = '\n';
        return message;
    }
}
