package dev.krafter.relay.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;

import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.apikey.ApiKeyStore;
import dev.krafter.relay.server.Clients;
import dev.krafter.relay.server.RelayHome;
import dev.krafter.relay.server.RelayProcess;
import dev.krafter.relay.server.SmtpsClient;

/**
 * Issue 8, the queue store's disk is full: the relay's {@code var/store} (KahaDB journal and the
 * message-body blob files of the durable queue) on a 64 MiB tmpfs of its own; once the relay
 * runs, a filler file takes every free byte. Messages sent then must get a 4xx (never 250) within
 * the client's timeout, leave no email record, and the relay must accept again once the filler is
 * deleted; every 250 reaches the outbox. Needs root (mount); skipped otherwise.
 */
class QueueStoreFullTest {

    @Test
    void aFullQueueDiskGives4xxNever250AndTheRelayRecovers() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "mounting a tmpfs needs root");
        try (RelayHome home = new RelayHome(Map.of())) {
            Path store = home.path().resolve("var/store");
            Files.createDirectories(store);
            Clients.Result mount = Clients.run(Duration.ofSeconds(30), Map.of(), "mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", store.toString());
            assumeTrue(mount.exitCode() == 0, "tmpfs mount refused: " + mount.output());
            try {
                run(home, store);
            } finally {
                Clients.run(Duration.ofSeconds(30), Map.of(), "umount", "-l", store.toString());
            }
        }
    }

    private static void run(RelayHome home, Path store) throws Exception {
        DataSource db = home.database().database().dataSource();
        String key = new ApiKeyStore(db, Duration.ZERO)
            .create("diskfull", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional"), false).secret().value();
        Path cert = home.path().resolve("var/tls/cert.pem");
        Path outbox = home.path().resolve("var/outbox");
        List<String> accepted = new ArrayList<>();
        Map<String, Integer> whileFull = new LinkedHashMap<>();
        int sent = 0;
        try (RelayProcess relay = RelayProcess.start(home.env())) {
            try (SmtpsClient smtp = SmtpsClient.connect(relay.port(), cert).login(key)) {
                for (int n = 0; n < 5; n++) {
                    sent++;
                    String reply = smtp.send("disk@yourdomain.com", List.of("rcpt@example.com"), message("before " + n));
                    assertThat(reply).startsWith("250 2.0.0 OK id=");
                    accepted.add(id(reply));
                }
            }
            Path filler = store.resolve("filler");
            long filled = fill(filler);
            int recordsWhenFull = records(db);
            long t0 = System.nanoTime();
            try (SmtpsClient smtp = SmtpsClient.connect(relay.port(), cert).login(key)) {
                for (int n = 0; n < 10; n++) {
                    sent++;
                    String reply = smtp.send("disk@yourdomain.com", List.of("rcpt@example.com"), message("full " + n));
                    whileFull.merge(reply.isEmpty() ? "(connection closed)" : reply, 1, Integer::sum);
                    if (reply.startsWith("250")) {
                        accepted.add(id(reply));
                    }
                    if (reply.isEmpty()) {
                        break;
                    }
                    smtp.command("RSET");
                }
            }
            long fullMillis = (System.nanoTime() - t0) / 1_000_000;
            int recordsAfterFull = records(db);
            Files.delete(filler);

            long back = System.nanoTime();
            String reply = "";
            int tempfailsAfterFree = 0;
            try (SmtpsClient smtp = SmtpsClient.connect(relay.port(), cert).login(key)) {
                while (System.nanoTime() - back < TimeUnit.SECONDS.toNanos(30)) {
                    sent++;
                    reply = smtp.send("disk@yourdomain.com", List.of("rcpt@example.com"), message("after"));
                    if (reply.startsWith("250")) {
                        accepted.add(id(reply));
                        break;
                    }
                    tempfailsAfterFree++;
                    smtp.command("RSET");
                    Thread.sleep(500);
                }
                for (int n = 0; n < 5 && reply.startsWith("250"); n++) {
                    sent++;
                    String more = smtp.send("disk@yourdomain.com", List.of("rcpt@example.com"), message("after " + n));
                    assertThat(more).startsWith("250 2.0.0 OK id=");
                    accepted.add(id(more));
                }
            }
            long recoverMillis = (System.nanoTime() - back) / 1_000_000;

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline && !accepted.stream().allMatch(id -> Files.exists(outbox.resolve(id + ".eml")))) {
                Thread.sleep(250);
            }
            long lost = accepted.stream().filter(id -> !Files.exists(outbox.resolve(id + ".eml"))).count();
            System.out.printf("queue disk full: filler %d bytes; replies while full %s (%d ms for all); email records %d before, %d after"
                    + " (must be equal); after freeing: %d × 4xx then %s (%d ms); %d sent, %d answered 250, %d delivered, %d lost%n",
                filled, whileFull, fullMillis, recordsWhenFull, recordsAfterFull, tempfailsAfterFree, reply, recoverMillis, sent,
                accepted.size(), accepted.size() - lost, lost);
            System.out.println("queue disk full: relay log lines about space: " + relay.log().lines()
                .filter(l -> l.contains("space") || l.contains("Space")).limit(5).toList());

            assertThat(whileFull.keySet()).as("replies while the disk is full").allMatch(r -> r.matches("4\\d\\d .*"));
            assertThat(recordsAfterFull).as("no record left by a refused message").isEqualTo(recordsWhenFull);
            assertThat(reply).as("accepting again after the disk is freed").startsWith("250");
            assertThat(lost).isZero();
        }
    }

    /** Writes zeros until the file system is full; returns the bytes written. */
    private static long fill(Path filler) throws IOException {
        byte[] chunk = new byte[64 * 1024];
        long written = 0;
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (written < 1L << 30) {
                out.write(chunk);
                written += chunk.length;
            }
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("space")) {
                throw e;
            }
        }
        try (OutputStream out = Files.newOutputStream(filler, java.nio.file.StandardOpenOption.APPEND)) {
            for (int i = 0; i < 1 << 16; i++) {
                out.write(0); // the last partial block
                written++;
            }
        } catch (IOException e) {
            // full to the byte
        }
        return written;
    }

    private static byte[] message(String subject) {
        return ("Subject: " + subject + "\r\n\r\n" + ("x".repeat(76) + "\r\n").repeat(260)).getBytes();
    }

    private static String id(String reply) {
        return reply.substring(reply.indexOf("id=") + 3).trim();
    }

    private static int records(DataSource db) throws Exception {
        try (Connection c = db.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT count(*) FROM emails");
             ResultSet rs = s.executeQuery()) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
