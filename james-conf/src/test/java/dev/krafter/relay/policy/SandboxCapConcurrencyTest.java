package dev.krafter.relay.policy;

import static dev.krafter.relay.policy.PolicyHarness.FROM;
import static dev.krafter.relay.policy.PolicyHarness.isAccepted;
import static dev.krafter.relay.policy.PolicyHarness.message;
import static dev.krafter.relay.policy.PolicyHarness.record;
import static dev.krafter.relay.policy.PolicyHarness.records;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.apikey.ApiKeyStore;
import dev.krafter.relay.db.TestDatabase;
import dev.krafter.relay.server.RelayFixture;
import dev.krafter.relay.server.RelayHome;
import dev.krafter.relay.server.RelayProcess;
import dev.krafter.relay.server.SmtpsClient;

/**
 * The sandbox's rolling cap holds exactly under concurrency — 16 SMTPS connections of one
 * sandbox account finishing DATA at the same instant, on one relay and on two relay processes
 * sharing one database.
 */
class SandboxCapConcurrencyTest {
    private static final int SENDERS = 16;
    private static final String DEV = "dev@acme.test";

    private static TestDatabase database;
    private static RelayFixture relay;
    private static CompletableFuture<RelayHome> otherHome;
    private static CompletableFuture<RelayProcess> other;
    private static DataSource db;
    private static ApiKeyStore keys;
    private static ExecutorService pool;

    @BeforeAll
    static void start() throws Exception {
        // One database for this relay (in-process) and for a second relay process, which starts meanwhile.
        database = TestDatabase.create();
        Map<String, String> sameDatabase = Map.of(
            "KRAFTER_DB_URL", database.url(),
            "KRAFTER_DB_USER", database.user(),
            "KRAFTER_DB_PASSWORD", database.password());
        otherHome = CompletableFuture.supplyAsync(() -> {
            try {
                return new RelayHome(sameDatabase);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        other = otherHome.thenApplyAsync(home -> {
            try {
                return RelayProcess.start(home.env());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        relay = RelayFixture.start(sameDatabase);
        db = database.database().dataSource();
        keys = new ApiKeyStore(db, Duration.ZERO);
        pool = Executors.newFixedThreadPool(SENDERS);
    }

    @AfterAll
    static void stop() throws Exception {
        pool.shutdownNow();
        try {
            try {
                other.get(2, TimeUnit.MINUTES).close();
            } finally {
                otherHome.get(2, TimeUnit.MINUTES).close();
            }
        } finally {
            try {
                relay.close();
            } finally {
                database.close();
            }
        }
    }

    /** Two keys of a sandbox account with this cap (the cap is the account's, whichever key sends). */
    private static List<String> sandboxKeys(String account, int cap) {
        keys.setSandbox(account, new ApiKey.Sandbox(true, Set.of(DEV), cap));
        List<String> secrets = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            secrets.add(keys.create(account, Set.of(ApiKey.SEND_SCOPE), Set.of("transactional"), true).secret().value());
        }
        return secrets;
    }

    /**
     * One round: every connection gets MAIL, RCPT and DATA (354) answered first, then all send the
     * body and the final "." together; returns the replies.
     */
    private static List<String> round(List<SmtpsClient> clients, int round) throws Exception {
        for (SmtpsClient smtp : clients) {
            assertThat(smtp.command("MAIL FROM:<" + FROM + ">")).startsWith("250");
            assertThat(smtp.command("RCPT TO:<" + DEV + ">")).startsWith("250");
            assertThat(smtp.command("DATA")).startsWith("354");
        }
        CountDownLatch go = new CountDownLatch(1);
        List<Future<String>> replies = new ArrayList<>();
        for (int i = 0; i < clients.size(); i++) {
            SmtpsClient smtp = clients.get(i);
            byte[] body = message("round " + round + " sender " + i);
            replies.add(pool.submit(() -> {
                go.await();
                return smtp.data(body);
            }));
        }
        go.countDown();
        List<String> result = new ArrayList<>();
        for (Future<String> reply : replies) {
            result.add(reply.get(60, TimeUnit.SECONDS));
        }
        return result;
    }

    private static void assertExactlyCapAccepted(String account, int cap, List<String> replies) throws Exception {
        String capText = "550 5.7.1 sandbox accounts may send at most " + cap + " emails per rolling 24 hours; the limit is reached";
        List<UUID> ids = replies.stream().filter(PolicyHarness::isAccepted).map(PolicyHarness::emailId).toList();
        assertThat(ids).as(replies.toString()).hasSize(cap);
        assertThat(replies.stream().filter(r -> !isAccepted(r))).as(replies.toString()).allMatch(capText::equals);
        assertThat(new HashSet<>(ids)).hasSize(cap);
        assertThat(records(db, account)).isEqualTo(cap);
        for (UUID id : ids) {
            assertThat(record(db, id).accountId()).isEqualTo(account);
        }
    }

    @Test
    void sixteenParallelSendersOfOneSandboxAccountGetExactlyTheCap() throws Exception {
        String account = "race-one-relay";
        int cap = 20;
        List<String> secrets = sandboxKeys(account, cap);
        List<SmtpsClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < SENDERS; i++) {
                clients.add(relay.connect().login(secrets.get(i % 2)));
            }
            List<String> replies = new ArrayList<>();
            // 16 of 20 fit, then 16 race for the last 4, then none is left
            List<String> first = round(clients, 1);
            assertThat(first).allMatch(PolicyHarness::isAccepted);
            replies.addAll(first);
            List<String> second = round(clients, 2);
            assertThat(second.stream().filter(PolicyHarness::isAccepted)).as(second.toString()).hasSize(4);
            replies.addAll(second);
            List<String> third = round(clients, 3);
            assertThat(third.stream().filter(PolicyHarness::isAccepted)).isEmpty();
            replies.addAll(third);
            assertExactlyCapAccepted(account, cap, replies);
        } finally {
            for (SmtpsClient smtp : clients) {
                smtp.close();
            }
        }
    }

    @Test
    void twoRelayProcessesOnOneDatabaseShareTheCapExactly() throws Exception {
        String account = "race-two-relays";
        int cap = 11;
        List<String> secrets = sandboxKeys(account, cap);
        // The second relay, an OS process of its own (own home, conf, certificate, port) on this relay's database.
        RelayProcess second = other.get(2, TimeUnit.MINUTES);
        RelayHome secondHome = otherHome.get();
        List<SmtpsClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < SENDERS; i++) {
                SmtpsClient smtp = i % 2 == 0
                    ? relay.connect()
                    : SmtpsClient.connect(second.port(), secondHome.settings().tlsCert());
                clients.add(smtp.login(secrets.get((i / 2) % 2)));
            }
            List<String> replies = new ArrayList<>(round(clients, 1));
            replies.addAll(round(clients, 2));
            assertExactlyCapAccepted(account, cap, replies);
            int here = 0;
            int there = 0;
            for (int i = 0; i < replies.size(); i++) {
                if (isAccepted(replies.get(i))) {
                    if (i % 2 == 0) {
                        here++;
                    } else {
                        there++;
                    }
                }
            }
            System.out.printf("two relays, cap %d: %d accepted in-process, %d by the other process, %d refused%n",
                cap, here, there, replies.size() - here - there);
            assertThat(second.events()).anyMatch(line -> line.contains("\"event\":\"smtp.accepted\""));
        } finally {
            for (SmtpsClient smtp : clients) {
                smtp.close();
            }
        }
    }
}
