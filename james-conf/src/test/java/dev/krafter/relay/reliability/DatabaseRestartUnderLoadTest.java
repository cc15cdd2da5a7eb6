package dev.krafter.relay.reliability;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;

import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.apikey.ApiKeyStore;
import dev.krafter.relay.db.Database;
import dev.krafter.relay.server.PrivateCluster;
import dev.krafter.relay.server.QueueTables;
import dev.krafter.relay.server.RelayHome;
import dev.krafter.relay.server.RelayProcess;
import dev.krafter.relay.server.SmtpsClient;

/**
 * PostgreSQL restarted under load: 8 TLS senders keep sending while PostgreSQL is stopped
 * ({@code pg_ctl stop -m fast}, which ends the relay's pooled sessions), stays down for a few
 * seconds and starts again. Every reply must be 250 or {@code 451 Temporary failure, try again
 * later}; the senders recover on their own; every 250 reaches SES (counted by email id). The email
 * record and its queue row are one statement in one commit, so the email records are exactly the
 * 250s: a 451 leaves no record behind. Once drained, no record is left {@code queued} and
 * mail_queue is empty. The relay runs as its own process on a private cluster, so stopping
 * PostgreSQL does not touch the shared test cluster.
 */
class DatabaseRestartUnderLoadTest {
    private static final String TEMPFAIL = "451 Temporary failure, try again later";
    private static final int SENDERS = 8;

    @Test
    void clientsSee451DuringARestartThenRecoverAndNothingIsLost() throws Exception {
        WireMockServer ses = new WireMockServer(wireMockConfig().bindAddress("127.0.0.1").dynamicPort());
        ses.start();
        SesOutageUnderLoadTest.answer(ses, okJson("{\"MessageId\":\"ses-{{randomValue type='UUID'}}\"}").withTransformers("response-template"));
        try (PrivateCluster pg = PrivateCluster.start("reliability-restart-pg")) {
            String url = pg.freshDatabase("krafter_restart");
            Map<String, String> env = new HashMap<>(pg.relayEnv(url));
            env.putAll(Map.of("KRAFTER_SES_ENDPOINT", ses.baseUrl(), "KRAFTER_SES_REGION", "eu-west-1",
                "AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY", "test-secret",
                "KRAFTER_SES_RETRY_INITIAL_DELAY", "1s", "KRAFTER_SES_RETRY_MAX_DELAY", "2s", "KRAFTER_SES_MAX_RETRIES", "60"));
            try (RelayHome home = new RelayHome(env);
                 RelayProcess relay = RelayProcess.start(home.env());
                 Database database = pg.connect(url)) {
                DataSource db = database.dataSource();
                String key = new ApiKeyStore(db, Duration.ZERO)
                    .create("restart", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional"), false).secret().value();
                Path cert = home.path().resolve("var/tls/cert.pem");

                List<String> accepted = Collections.synchronizedList(new ArrayList<>());
                List<String> unexpected = Collections.synchronizedList(new ArrayList<>());
                AtomicInteger sent = new AtomicInteger();
                AtomicInteger tempfails = new AtomicInteger();
                AtomicInteger reconnects = new AtomicInteger();
                AtomicLong restartedAt = new AtomicLong(Long.MAX_VALUE);
                AtomicInteger acceptedAfterRestart = new AtomicInteger();
                long hardEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                AtomicLong stopAt = new AtomicLong(hardEnd);

                ExecutorService senders = Executors.newFixedThreadPool(SENDERS);
                for (int t = 0; t < SENDERS; t++) {
                    int sender = t;
                    senders.submit(() -> {
                        SmtpsClient smtp = null;
                        for (int n = 0; n < 2000 && System.nanoTime() < stopAt.get(); n++) {
                            try {
                                if (smtp == null) {
                                    smtp = SmtpsClient.connect(relay.port(), cert);
                                    smtp.ehlo();
                                    String auth = smtp.authPlain("apikey", key);
                                    if (!auth.startsWith("235")) { // 454 while the key cannot be looked up
                                        unexpected.add("AUTH " + auth);
                                        smtp.close();
                                        smtp = null;
                                        Thread.sleep(200);
                                        continue;
                                    }
                                }
                                sent.incrementAndGet();
                                String reply = smtp.send("load@yourdomain.com", List.of("rcpt@example.com"),
                                    ("Subject: restart " + sender + "-" + n + "\r\n\r\n" + "x".repeat(2000) + "\r\n").getBytes());
                                if (reply.startsWith("250")) {
                                    accepted.add(reply.substring(reply.indexOf("id=") + 3).trim());
                                    if (System.nanoTime() > restartedAt.get()) {
                                        acceptedAfterRestart.incrementAndGet();
                                    }
                                } else if (reply.equals(TEMPFAIL)) {
                                    tempfails.incrementAndGet();
                                    smtp.command("RSET");
                                } else {
                                    unexpected.add(reply);
                                    smtp.close();
                                    smtp = null;
                                    reconnects.incrementAndGet();
                                }
                                Thread.sleep(50);
                            } catch (IOException e) {
                                unexpected.add("connection: " + e);
                                smtp = null;
                                reconnects.incrementAndGet();
                            }
                        }
                        if (smtp != null) {
                            smtp.close();
                        }
                        return null;
                    });
                }

                // Load first: at least two 250s a sender (30 s at most), then stop PostgreSQL.
                long warm = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (accepted.size() < 2 * SENDERS && System.nanoTime() < warm) {
                    Thread.sleep(100);
                }
                Thread.sleep(1000);
                int beforeStop = accepted.size();
                pg.stop();
                long down = System.nanoTime();
                int tempfailsBefore = tempfails.get();
                Thread.sleep(4000);
                int tempfailsWhileDown = tempfails.get() - tempfailsBefore;
                pg.start();
                restartedAt.set(System.nanoTime());
                long downMillis = (restartedAt.get() - down) / 1_000_000;
                // Load goes on until every sender got 250s again (at least 5 s more), at most to the hard end.
                long minEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (System.nanoTime() < hardEnd && (System.nanoTime() < minEnd || acceptedAfterRestart.get() < 4 * SENDERS)) {
                    Thread.sleep(100);
                }
                stopAt.set(System.nanoTime());
                senders.shutdown();
                assertThat(senders.awaitTermination(60, TimeUnit.SECONDS)).isTrue();

                List<String> got250 = List.copyOf(accepted);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                List<JsonNode[]> calls = SesOutageUnderLoadTest.sesCalls(ses);
                while (!SesOutageUnderLoadTest.delivered(calls).containsAll(got250) && System.nanoTime() < deadline) {
                    Thread.sleep(250);
                    calls = SesOutageUnderLoadTest.sesCalls(ses);
                }
                Map<String, Long> deliveredCount = calls.stream().filter(c -> c[1].asInt() == 200)
                    .collect(Collectors.groupingBy(c -> SesOutageUnderLoadTest.emailId(c[0]), Collectors.counting()));
                long lost = got250.stream().filter(id -> !deliveredCount.containsKey(id)).count();
                long twice = got250.stream().filter(id -> deliveredCount.getOrDefault(id, 0L) > 1).count();
                // The record is marked sent (and the queue row removed) right after SES answers: give the last ones a moment.
                Map<String, Integer> statuses = statuses(db);
                long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                while (statuses.containsValue(0) && System.nanoTime() < settle) {
                    Thread.sleep(250);
                    statuses = statuses(db);
                }
                // Why each 451: the first "Caused by" line after each tempfail log line, counted.
                Map<String, Long> tempfailCauses = tempfailCauses(relay.log());
                Map<String, Integer> finalStatuses = statuses;
                long withoutRecord = got250.stream().filter(id -> !finalStatuses.containsKey(id)).count();
                // A record without a 250: one the client was told to send again (it would be sent twice).
                Set<String> got250Set = Set.copyOf(got250);
                List<String> orphans = statuses.keySet().stream().filter(id -> !got250Set.contains(id)).toList();
                Map<Integer, Long> byStatus = statuses.values().stream().collect(Collectors.groupingBy(s -> s, Collectors.counting()));

                System.out.printf("PostgreSQL restart under %d senders: down %d ms; %d sent, %d answered 250 (%d before the stop, "
                        + "%d after the restart), %d answered 451 (%d while down), other replies %s; %d delivered, %d lost, "
                        + "%d delivered twice; %d email records (%s), %d 250s without a record, %d records without a 250 (%d of them delivered); "
                        + "451 causes %s%n",
                    SENDERS, downMillis, sent.get(), got250.size(), beforeStop, acceptedAfterRestart.get(), tempfails.get(),
                    tempfailsWhileDown, unexpected, got250.size() - lost, lost, twice, statuses.size(), describe(byStatus),
                    withoutRecord, orphans.size(), orphans.stream().filter(deliveredCount::containsKey).count(), tempfailCauses);

                assertThat(unexpected).as("every reply is 250 or 451; no dropped connection").isEmpty();
                assertThat(tempfailsWhileDown).as("451s while PostgreSQL is down").isPositive();
                assertThat(acceptedAfterRestart.get()).as("250s after the restart").isGreaterThanOrEqualTo(4 * SENDERS);
                assertThat(withoutRecord).as("250 without an email record").isZero();
                assertThat(orphans).as("email records of messages answered 451").isEmpty();
                assertThat(statuses).as("email records, one per 250").hasSize(got250.size());
                assertThat(lost).as("lost").isZero();
                assertThat(twice).as("delivered twice").isZero();
                assertThat(byStatus.getOrDefault(0, 0L)).as("records left queued once drained").isZero();
                assertThat(queueRows(db)).as("rows left in mail_queue once drained").isZero();
            }
        } finally {
            ses.stop();
        }
    }

    private static Map<String, Long> tempfailCauses(String log) {
        Map<String, Long> causes = new java.util.TreeMap<>();
        String[] lines = log.split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].contains("message not accepted (451)")) {
                String cause = "?";
                for (int j = i + 1; j < Math.min(lines.length, i + 200); j++) {
                    if (lines[j].contains("message not accepted (451)")) {
                        break;
                    }
                    if (lines[j].startsWith("Caused by") || j == i + 1) {
                        cause = lines[j].replaceAll("[0-9a-f]{8}-[0-9a-f-]{27}", "<id>");
                        cause = cause.length() > 160 ? cause.substring(0, 160) : cause;
                    }
                }
                causes.merge(cause, 1L, Long::sum);
            }
        }
        return causes;
    }

    /**
     * Email id → status code (0 queued, 1 sent, 2 other) of every record. Tried twice: the pool may
     * first hand out a connection that the restart ended (Hikari then drops it).
     */
    private static Map<String, Integer> statuses(DataSource db) throws Exception {
        try {
            return statusesOnce(db);
        } catch (SQLException e) {
            return statusesOnce(db);
        }
    }

    private static long queueRows(DataSource db) throws Exception {
        try {
            return QueueTables.queueRows(db);
        } catch (SQLException e) {
            return QueueTables.queueRows(db);
        }
    }

    private static Map<String, Integer> statusesOnce(DataSource db) throws SQLException {
        Map<String, Integer> statuses = new HashMap<>();
        QueueTables.statuses(db).forEach((id, status) ->
            statuses.put(id, status.equals("queued") ? 0 : status.equals("sent") ? 1 : 2));
        return statuses;
    }

    private static String describe(Map<Integer, Long> byStatus) {
        return byStatus.getOrDefault(1, 0L) + " sent, " + byStatus.getOrDefault(0, 0L) + " queued, "
            + byStatus.getOrDefault(2, 0L) + " other";
    }
}
