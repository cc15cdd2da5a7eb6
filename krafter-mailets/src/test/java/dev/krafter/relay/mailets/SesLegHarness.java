package dev.krafter.relay.mailets;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;

import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.james.server.core.MailImpl;

import dev.krafter.relay.ses.OutboundEmail;
import dev.krafter.relay.ses.SesGateway;
import dev.krafter.relay.ses.SesOutcome;
import dev.krafter.relay.ses.SesSettings;
import dev.krafter.relay.ses.SesClients;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.sesv2.SesV2Client;

/**
 * Not a test: a measurement of the SES leg against a stand-in running in another process (WireMock
 * standalone, so its own memory and CPU stay out of the figures).
 *
 * <pre>
 * heap ENDPOINT IN_FLIGHT SIZE   — IN_FLIGHT concurrent deliveries of a SIZE-byte message through the
 *                                  mailet steps (RemoveKrafterHeaders, AddListUnsubscribe, the raw bytes
 *                                  SesSend reads, SendEmail); prints heap peak above baseline and bytes
 *                                  allocated per delivery on the delivering thread
 * rate ENDPOINT THREADS SIZE SECONDS — SendEmail calls per second through SesGateway
 * </pre>
 */
public final class SesLegHarness {

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        URI endpoint = URI.create(args[1]);
        int parallel = Integer.parseInt(args[2]);
        int size = Integer.parseInt(args[3]);
        SesSettings settings = SesSettings.defaults().withEndpoint(endpoint).withRegion("eu-west-1")
            .withSdkMaxAttempts(1).withMaxConnections(Math.max(parallel, 8));
        try (SesV2Client client = SesClients.create(settings,
            StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDHARNESS", "secret")))) {
            SesGateway gateway = new SesGateway(client);
            if (mode.equals("heap")) {
                heap(gateway, parallel, size);
            } else {
                rate(gateway, parallel, size, Integer.parseInt(args[4]));
            }
        }
    }

    private static void heap(SesGateway gateway, int inFlight, int size) throws Exception {
        // The message lives in a file, so the harness's own copy is not on the heap during the measurement.
        java.nio.file.Path message = java.nio.file.Files.createTempFile("harness", ".eml");
        message.toFile().deleteOnExit();
        java.nio.file.Files.write(message, LargeMessages.message(size, "X-Krafter-Stream: broadcast\r\nX-Krafter-Tracking-Enabled: true\r\n"));
        RemoveKrafterHeaders remove = HeaderMailetsTest.mailet(new RemoveKrafterHeaders(), new Properties());
        Properties unsubscribe = new Properties();
        unsubscribe.setProperty("mailto", "mailto:unsubscribe@krafter.dev?subject=unsubscribe-{emailId}");
        unsubscribe.setProperty("url", "https://unsubscribe.krafter.dev/u/{emailId}");
        AddListUnsubscribe add = HeaderMailetsTest.mailet(new AddListUnsubscribe(), unsubscribe);

        // Warm-up: class loading, JIT, connection pool.
        for (int i = 0; i < 3; i++) {
            deliver(gateway, mail(message), remove, add);
        }
        List<MailImpl> mails = new ArrayList<>();
        for (int i = 0; i < inFlight; i++) {
            mails.add(mail(message)); // file-backed sources, as the spooler hands them over
        }

        List<MemoryPoolMXBean> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(pool -> pool.getType() == MemoryType.HEAP).toList();
        System.gc();
        System.gc();
        Thread.sleep(500);
        long baseline = heapPools.stream().mapToLong(pool -> pool.getUsage().getUsed()).sum();
        heapPools.forEach(MemoryPoolMXBean::resetPeakUsage);

        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        CyclicBarrier start = new CyclicBarrier(inFlight);
        AtomicLong allocated = new AtomicLong();
        List<Thread> workers = new ArrayList<>();
        for (MailImpl mail : mails) {
            Thread worker = new Thread(() -> {
                try {
                    start.await();
                    long before = threads.getCurrentThreadAllocatedBytes();
                    SesOutcome outcome = deliver(gateway, mail, remove, add);
                    allocated.addAndGet(threads.getCurrentThreadAllocatedBytes() - before);
                    if (!(outcome instanceof SesOutcome.Sent)) {
                        throw new IllegalStateException(outcome.toString());
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            workers.add(worker);
            worker.start();
        }
        for (Thread worker : workers) {
            worker.join();
        }
        long peak = heapPools.stream().mapToLong(pool -> pool.getPeakUsage().getUsed()).sum();
        double mib = 1024.0 * 1024.0;
        System.out.printf("message %.1f MiB, in flight %d, max heap %.0f MiB: heap peak above baseline %.1f MiB (%.1f MiB per delivery); "
                + "allocated on the delivering thread %.1f MiB per delivery%n",
            size / mib, inFlight, Runtime.getRuntime().maxMemory() / mib, (peak - baseline) / mib,
            (peak - baseline) / mib / inFlight, allocated.get() / mib / inFlight);
    }

    /** What SesSend does for one mail (without the email record): header edits, raw bytes, SendEmail. */
    private static SesOutcome deliver(SesGateway gateway, MailImpl mail, RemoveKrafterHeaders remove, AddListUnsubscribe add)
        throws Exception {
        remove.service(mail);
        add.service(mail);
        MimeMessage message = mail.getMessage();
        OutboundEmail email = new OutboundEmail(UUID.randomUUID(), Optional.of("broadcast"), Optional.of("krafter-broadcast"),
            Optional.of("sender@example.com"), List.of("to@example.net"), RawMessageBytes.of(message));
        SesOutcome outcome = gateway.send(email);
        mail.dispose();
        return outcome;
    }

    private static MailImpl mail(java.nio.file.Path message) throws Exception {
        MailImpl mail = TestMails.mail(java.nio.file.Files.newInputStream(message), UUID.randomUUID(), "broadcast", "krafter-broadcast", true, "sender@example.com",
            List.of("to@example.net"));
        mail.setSender(new MailAddress("sender@example.com"));
        return mail;
    }

    private static void rate(SesGateway gateway, int threadCount, int size, int seconds) throws Exception {
        byte[] raw = LargeMessages.message(size, "");
        OutboundEmail email = new OutboundEmail(UUID.randomUUID(), Optional.of("transactional"), Optional.of("krafter-transactional"),
            Optional.of("sender@example.com"), List.of("to@example.net"), raw);
        long warmUntil = System.nanoTime() + 3_000_000_000L;
        while (System.nanoTime() < warmUntil) {
            gateway.send(email);
        }
        AtomicLong calls = new AtomicLong();
        AtomicLong failures = new AtomicLong();
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        long cpuBefore = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
        long started = System.nanoTime();
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < threadCount; i++) {
            Thread worker = new Thread(() -> {
                while (System.nanoTime() < end) {
                    if (gateway.send(email) instanceof SesOutcome.Sent) {
                        calls.incrementAndGet();
                    } else {
                        failures.incrementAndGet();
                    }
                }
            });
            workers.add(worker);
            worker.start();
        }
        for (Thread worker : workers) {
            worker.join();
        }
        double elapsed = (System.nanoTime() - started) / 1e9;
        long cpu = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime() - cpuBefore;
        System.out.printf("size %d B, %d threads, %.1f s: %.0f calls/s, %d failures, client CPU %.2f ms/call%n",
            raw.length, threadCount, elapsed, calls.get() / elapsed, failures.get(), cpu / 1e6 / Math.max(1, calls.get()));
    }
}
