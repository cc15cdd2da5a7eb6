package dev.krafter.relay.policy;

import static dev.krafter.relay.policy.PolicyHarness.FROM;
import static dev.krafter.relay.policy.PolicyHarness.TEMPFAIL;
import static dev.krafter.relay.policy.PolicyHarness.TO;
import static dev.krafter.relay.policy.PolicyHarness.emailId;
import static dev.krafter.relay.policy.PolicyHarness.message;
import static dev.krafter.relay.policy.PolicyHarness.record;
import static dev.krafter.relay.policy.PolicyHarness.records;
import static dev.krafter.relay.policy.PolicyHarness.send;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.apikey.ApiKeyStore;
import dev.krafter.relay.db.Database;
import dev.krafter.relay.db.DatabaseSettings;
import dev.krafter.relay.server.Clients;
import dev.krafter.relay.server.PrivateCluster;
import dev.krafter.relay.server.RelayFixture;
import dev.krafter.relay.server.SmtpsClient;

/**
 * PostgreSQL stops while the relay runs → {@code 451 Temporary failure, try again later}
 * (never a 250 without a record), AUTH with a key not in the cache → 454, and once PostgreSQL is back
 * the retry gets 250 — on the same connections. The relay runs on a private PostgreSQL cluster of its
 * own ({@code bin/krafter-pg} in {@code target/policy-outage-pg}, stopped and started by this test), never
 * the shared test cluster, which other tests use meanwhile.
 */
class DatabaseOutageTest {
    private static PrivateCluster pg;
    private static RelayFixture relay;
    private static Database database;
    private static DataSource db;
    private static DatabaseSettings settings;
    private static ApiKeyStore keys;

    @BeforeAll
    static void start() throws Exception {
        pg = PrivateCluster.start("policy-outage-pg");
        String url = pg.freshDatabase("krafter_outage");
        relay = RelayFixture.start(pg.relayEnv(url));
        // relay.keys() is the fixture's database on the shared cluster; this relay uses the private one.
        settings = DatabaseSettings.of(url, PrivateCluster.USER, pg.password());
        database = Database.connect(settings);
        db = database.dataSource();
        keys = new ApiKeyStore(db, Duration.ZERO);
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (relay != null) {
                relay.close();
            }
            if (database != null) {
                database.close();
            }
        } finally {
            if (pg != null) {
                pg.close();
            }
        }
    }

    @Test
    void postgresqlDownGives451And454ThenTheRetrySucceeds() throws Exception {
        String account = "outage";
        String warmKey = keys.create(account, Set.of(ApiKey.SEND_SCOPE), Set.of("transactional", "broadcast"), false).secret().value();
        String coldKey = keys.create(account, Set.of(ApiKey.SEND_SCOPE), Set.of("transactional"), false).secret().value();
        List<UUID> accepted = new ArrayList<>();
        String recovery;

        // A real client (Python smtplib) on its own connection: a first message 250; a second one, while
        // the database is down, 451, and its retry once it is up 250 (a message refused with 451 is not
        // recorded, so its retry is no duplicate).
        Path dir = Files.createTempDirectory(relay.home(), "outage");
        Path eml = Files.write(dir.resolve("m.eml"), message("python before the outage"));
        Path deferred = Files.write(dir.resolve("m2.eml"), message("python during outage"));
        Path ready = dir.resolve("ready");
        Path down = dir.resolve("down");
        Path sentWhileDown = dir.resolve("sent-while-down");
        Path up = dir.resolve("up");
        String[] python = PolicyHarness.pythonClient(dir, relay.port(), relay.certificate(), warmKey, List.of(
            send(FROM, List.of(TO), eml), PolicyHarness.signal(ready),
            PolicyHarness.waitFor(down), send(FROM, List.of(TO), deferred), PolicyHarness.signal(sentWhileDown),
            PolicyHarness.waitFor(up), send(FROM, List.of(TO), deferred)));
        CompletableFuture<Clients.Result> pythonRun = CompletableFuture.supplyAsync(() -> {
            try {
                return Clients.run(Duration.ofSeconds(120), Map.of(), python);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });

        try (SmtpsClient smtp = relay.connect().login(warmKey)) {
            accepted.add(emailId(smtp.send(FROM, List.of(TO), message("before the outage"))));
            awaitFile(ready, pythonRun);

            pg.stop();

            long t0 = System.nanoTime();
            assertThat(smtp.send(FROM, List.of(TO), message("during the outage"))).isEqualTo(TEMPFAIL);
            long tempfailMillis = (System.nanoTime() - t0) / 1_000_000;
            // the connection goes on: NOOP, RSET, and a second try gets the same honest answer
            assertThat(smtp.command("NOOP")).startsWith("250");
            assertThat(smtp.command("RSET")).startsWith("250");
            assertThat(smtp.send(FROM, List.of(TO), message("during the outage, again", "X-Krafter-Stream: broadcast")))
                .isEqualTo(TEMPFAIL);
            // a policy refusal needs no database and still comes first
            assertThat(smtp.send(FROM, List.of(TO), message("bad stream", "X-Krafter-Stream: promo")))
                .isEqualTo("550 5.7.1 unknown stream: promo");

            Files.createFile(down);
            awaitFile(sentWhileDown, pythonRun);

            try (SmtpsClient cold = relay.connect()) {
                cold.ehlo();
                // the key is not in the relay's cache and cannot be looked up: temporary, not "invalid"
                assertThat(cold.authPlain("apikey", coldKey)).isEqualTo("454 4.7.0 Temporary authentication failure, try again later");

                pg.start();

                // The same connection retries, as a client does, once PostgreSQL is back. The relay's pool
                // may need a moment (Hikari backs off between connection attempts while the database is
                // down, up to 5 s): until then the honest answer is still 451, never anything else.
                long back = System.nanoTime();
                int tempfailsAfterRestart = 0;
                String reply;
                while (!(reply = smtp.send(FROM, List.of(TO), message("retry after the outage"))).startsWith("250")) {
                    assertThat(reply).isEqualTo(TEMPFAIL);
                    assertThat(Duration.ofNanos(System.nanoTime() - back)).isLessThan(Duration.ofSeconds(20));
                    tempfailsAfterRestart++;
                }
                accepted.add(emailId(reply));
                recovery = String.format("first 250 %d ms after PostgreSQL was back, after %d more 451s",
                    (System.nanoTime() - back) / 1_000_000, tempfailsAfterRestart);
                assertThat(cold.authPlain("apikey", coldKey)).startsWith("235");
                UUID coldSend = emailId(cold.send(FROM, List.of(TO), message("cold key after the outage")));
                accepted.add(coldSend);
            }
            Files.createFile(up);
            System.out.printf("database down: 451 after %d ms (Hikari connectionTimeout 2000 ms); %s%n", tempfailMillis, recovery);
        }

        Clients.Result run = pythonRun.get(120, TimeUnit.SECONDS);
        assertThat(run.exitCode()).as(run.output()).isZero();
        List<String> data = run.output().lines().filter(l -> l.startsWith("DATA ")).toList();
        assertThat(data).as(run.output()).hasSize(3);
        assertThat(data.get(0)).startsWith("DATA 250 2.0.0 OK id=");
        assertThat(data.get(1)).isEqualTo("DATA " + TEMPFAIL);
        assertThat(data.get(2)).startsWith("DATA 250 2.0.0 OK id=").doesNotContain("duplicate");
        accepted.add(emailId(data.get(0).substring(5)));
        accepted.add(emailId(data.get(2).substring(5)));

        // every 250 has its record; the 451s left none behind. Counted through a new pool: the test's
        // own may still hand out a connection that the restart ended.
        try (Database after = Database.connect(settings)) {
            assertThat(records(after.dataSource(), account)).isEqualTo(accepted.size());
            for (UUID id : accepted) {
                assertThat(record(after.dataSource(), id).status()).isIn("queued", "sent");
            }
        }
    }

    private static void awaitFile(Path file, CompletableFuture<Clients.Result> client) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!Files.exists(file)) {
            if (client.isDone()) {
                throw new AssertionError("client ended before " + file.getFileName() + ":\n" + client.get().output());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + file + " after 60 s");
            }
            Thread.sleep(20);
        }
    }
}
