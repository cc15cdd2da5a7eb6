package dev.krafter.relay.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
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
import dev.krafter.relay.db.Database;
import dev.krafter.relay.db.TestDatabase;
import dev.krafter.relay.server.Clients;
import dev.krafter.relay.server.PrivateCluster;
import dev.krafter.relay.server.QueueTables;
import dev.krafter.relay.server.RelayHome;
import dev.krafter.relay.server.RelayProcess;
import dev.krafter.relay.server.SmtpsClient;

/**
 * PostgreSQL's disk is full. The relay's database lives in a tablespace on a 32 MiB tmpfs of its
 * own, on a private cluster (port 25440); the cluster's WAL and catalogs stay on the ordinary disk.
 * Once the relay runs, a filler file takes every free byte of the tmpfs: every table of the relay
 * (emails, mail_queue with its TOAST and indexes) can no longer grow. Messages sent then must get a
 * 4xx (never 250) within the client's timeout and leave no email record; once the filler is
 * deleted the same relay process accepts again; every 250 reaches the outbox, and afterwards every
 * record is {@code sent} and mail_queue is empty.
 *
 * <p>What this does not cover: a full disk under the WAL. PostgreSQL PANICs when it cannot write
 * WAL and stays down until space is freed, which to the relay is an unreachable database
 * (DatabaseOutageTest: 451, nothing recorded, recovery without a restart). Needs root (mount);
 * skipped otherwise.
 */
class DatabaseDiskFullTest {
    private static final int PORT = 25440;
    private static final String DATABASE = "krafter_diskfull";
    private static final String TABLESPACE = "krafter_small";

    @Test
    void aFullDatabaseDiskGives4xxNever250LeavesNoRecordAndTheRelayRecovers() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "mounting a tmpfs needs root");
        Path space = TestDatabase.repositoryRoot().resolve("target/reliability-diskfull-space");
        try (PrivateCluster pg = PrivateCluster.start("reliability-diskfull-pg", PORT)) {
            dropDatabase(pg); // left by a run that died
            Clients.run(Duration.ofSeconds(30), Map.of(), "umount", "-l", space.toString());
            Files.createDirectories(space);
            Clients.Result mount = Clients.run(Duration.ofSeconds(30), Map.of(),
                "mount", "-t", "tmpfs", "-o", "size=32m,mode=0700", "tmpfs", space.toString());
            assumeTrue(mount.exitCode() == 0, "tmpfs mount refused: " + mount.output());
            try {
                Clients.Result chown = Clients.run(Duration.ofSeconds(30), Map.of(), "chown", "postgres:postgres", space.toString());
                assertThat(chown.exitCode()).as(chown.output()).isZero();
                try (Connection c = DriverManager.getConnection(pg.url("postgres"), PrivateCluster.USER, pg.password());
                     Statement s = c.createStatement()) {
                    s.execute("CREATE TABLESPACE " + TABLESPACE + " LOCATION '" + space + "'");
                    s.execute("CREATE DATABASE " + DATABASE + " TABLESPACE " + TABLESPACE);
                }
                run(pg, space);
            } finally {
                dropDatabase(pg);
                Clients.run(Duration.ofSeconds(30), Map.of(), "umount", "-l", space.toString());
            }
        }
    }

    private static void dropDatabase(PrivateCluster pg) throws Exception {
        try (Connection c = DriverManager.getConnection(pg.url("postgres"), PrivateCluster.USER, pg.password());
             Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + DATABASE + " WITH (FORCE)");
            s.execute("DROP TABLESPACE IF EXISTS " + TABLESPACE);
        }
    }

    private static void run(PrivateCluster pg, Path space) throws Exception {
        String url = pg.url(DATABASE);
        Path pgLog = pg.dir().resolve("postgresql.log");
        long pgLogStart = Files.exists(pgLog) ? Files.size(pgLog) : 0;
        try (RelayHome home = new RelayHome(pg.relayEnv(url));
             RelayProcess relay = RelayProcess.start(home.env());
             Database database = pg.connect(url)) {
            DataSource db = database.dataSource();
            String key = new ApiKeyStore(db, Duration.ZERO)
                .create("diskfull", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional"), false).secret().value();
            Path cert = home.path().resolve("var/tls/cert.pem");
            Path outbox = home.path().resolve("var/outbox");
            List<String> accepted = new ArrayList<>();
            Map<String, Integer> whileFull = new LinkedHashMap<>();
            int sent = 0;
            try (SmtpsClient smtp = SmtpsClient.connect(relay.port(), cert).login(key)) {
                for (int n = 0; n < 5; n++) {
                    sent++;
                    String reply = smtp.send("disk@yourdomain.com", List.of("rcpt@example.com"), message("before " + n));
                    assertThat(reply).startsWith("250 2.0.0 OK id=");
                    accepted.add(id(reply));
                }
            }
            Path filler = space.resolve("filler");
            long filled = fill(filler);
            long recordsWhenFull = QueueTables.records(db);
            long slowestMillis = 0;
            long t0 = System.nanoTime();
            try (SmtpsClient smtp = SmtpsClient.connect(relay.port(), cert).login(key)) {
                for (int n = 0; n < 10; n++) {
                    sent++;
                    long t = System.nanoTime();
                    String reply = smtp.send("disk@yourdomain.com", List.of("rcpt@example.com"), message("full " + n));
                    slowestMillis = Math.max(slowestMillis, (System.nanoTime() - t) / 1_000_000);
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
            long recordsAfterFull = QueueTables.records(db);
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
                long recoverMillis = (System.nanoTime() - back) / 1_000_000;
                for (int n = 0; n < 5 && reply.startsWith("250"); n++) {
                    sent++;
                    String more = smtp.send("disk@yourdomain.com", List.of("rcpt@example.com"), message("after " + n));
                    assertThat(more).startsWith("250 2.0.0 OK id=");
                    accepted.add(id(more));
                }

                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (System.nanoTime() < deadline && !accepted.stream().allMatch(id -> Files.exists(outbox.resolve(id + ".eml")))) {
                    Thread.sleep(250);
                }
                long lost = accepted.stream().filter(id -> !Files.exists(outbox.resolve(id + ".eml"))).count();
                String log = Files.exists(pgLog) ? Files.readString(pgLog, StandardCharsets.UTF_8).substring((int) pgLogStart) : "";
                System.out.printf("database disk full: filler %d bytes; replies while full %s (%d ms for all, slowest %d ms);"
                        + " email records %d before, %d after (must be equal); after freeing: %d x 4xx then %s (%d ms);"
                        + " %d sent, %d answered 250, %d delivered, %d lost; PostgreSQL log: %d 'No space left on device',"
                        + " %d PANIC%n",
                    filled, whileFull, fullMillis, slowestMillis, recordsWhenFull, recordsAfterFull, tempfailsAfterFree, reply,
                    recoverMillis, sent, accepted.size(), accepted.size() - lost, lost,
                    log.lines().filter(l -> l.contains("No space left on device")).count(),
                    log.lines().filter(l -> l.contains("PANIC")).count());
                System.out.println("database disk full: relay log lines about space: " + relay.log().lines()
                    .filter(l -> l.contains("space")).limit(3).toList());

                assertThat(whileFull.keySet()).as("replies while the disk is full").allMatch(r -> r.matches("4\\d\\d .*"));
                assertThat(recordsAfterFull).as("no record left by a refused message").isEqualTo(recordsWhenFull);
                assertThat(reply).as("accepting again after the disk is freed, without a restart").startsWith("250");
                assertThat(lost).isZero();
                assertThat(QueueTables.assertDrained(db, accepted)).as("records, one per 250").hasSize(accepted.size());
            }
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
        return ("Subject: " + subject + "\r\n\r\n" + ("x".repeat(76) + "\r\n").repeat(260)).getBytes(StandardCharsets.US_ASCII);
    }

    private static String id(String reply) {
        return reply.substring(reply.indexOf("id=") + 3).trim();
    }
}
