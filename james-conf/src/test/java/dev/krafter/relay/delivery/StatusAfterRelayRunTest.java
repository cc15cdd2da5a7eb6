package dev.krafter.relay.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.krafter.relay.cli.CliRun;
import dev.krafter.relay.server.RelayFixture;
import dev.krafter.relay.ses.SesStandIn;
import dev.krafter.relay.status.RelayStatus;
import dev.krafter.relay.status.StatusQueries;
import dev.krafter.relay.status.StatusView;

/**
 * {@code status} after a scripted run through a real relay and the SES stand-in: one message sent,
 * one refused by SES, one refused at SMTP time (no record, so on no line), and one that SES failed
 * transiently and that waits for its retry (ten minutes away) in the shared queue, the oldest
 * message: past a short --max-age, status exits 1.
 */
class StatusAfterRelayRunTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static SesRelay run;
    private static SesStandIn ses;
    private static RelayFixture relay;

    @BeforeAll
    static void start() throws Exception {
        run = SesRelay.start(Map.of("KRAFTER_SES_RETRY_INITIAL_DELAY", "10m", "KRAFTER_SES_RETRY_MAX_DELAY", "10m"));
        ses = run.ses();
        relay = run.relay();
    }

    @AfterAll
    static void stop() throws Exception {
        run.close();
    }

    @Test
    void statusCountsTheRunAndExitsOneOnceTheWaitingMessageIsPastTheMaxAge() throws Exception {
        String key = relay.newKey("status-acme");
        String sent = run.send(key, "");
        ses.await(calls -> calls.stream().anyMatch(c -> c.emailId().equals(sent) && c.accepted()), Duration.ofSeconds(60));
        ses.fail(400, "MessageRejected", "Email address is not verified.");
        String refused = run.send(key, "");
        ses.await(calls -> calls.stream().anyMatch(c -> c.emailId().equals(refused)), Duration.ofSeconds(60));
        assertThat(run.reply(key, "X-Krafter-Stream: promo\r\n")).startsWith("550 5.7.1 unknown stream");
        ses.fail(503, "InternalFailure", "try later");
        String waiting = run.send(key, "");

        JsonNode json = awaitStatus(j -> j.at("/queue/retry_waiting").asLong() == 1
            && j.at("/deliveries/last_hour/transactional/failed").asLong() == 1
            && j.at("/deliveries/last_hour/transactional/deferred").asLong() == 1);
        System.out.println(StatusView.text(read(), Duration.ofMinutes(15)));

        for (String window : List.of("last_hour", "last_24h")) {
            JsonNode transactional = json.at("/deliveries/" + window + "/transactional");
            assertThat(transactional.get("sent").asLong()).as(window).isEqualTo(1);
            assertThat(transactional.get("failed").asLong()).as(window).isEqualTo(1);
            assertThat(transactional.get("deferred").asLong()).as(window + ": the message waiting for its retry").isEqualTo(1);
            JsonNode broadcast = json.at("/deliveries/" + window + "/broadcast");
            assertThat(List.of(broadcast.get("sent").asLong(), broadcast.get("failed").asLong(), broadcast.get("deferred").asLong()))
                .containsOnly(0L);
        }
        JsonNode queue = json.get("queue");
        assertThat(queue.get("depth").asLong()).as("only the waiting message is queued").isEqualTo(1);
        assertThat(queue.get("retry_waiting").asLong()).isEqualTo(1);
        assertThat(queue.get("in_delivery").asLong()).isZero();
        assertThat(json.get("errors").findValuesAsText("error")).hasSize(2)
            .anyMatch(e -> e.startsWith("InternalFailure")).anyMatch(e -> e.startsWith("MessageRejected"));
        assertThat(json.get("errors").findValues("emails")).extracting(JsonNode::asLong).containsOnly(1L);
        assertThat(json.get("nodes_up").asInt()).as("this relay's heartbeat").isEqualTo(1);
        assertThat(json.get("oldest_over_max_age").asBoolean()).isFalse();
        assertThat(StatusView.exitStatus(read(), Duration.ofMinutes(15))).as("a fresh queue: exit 0").isZero();

        // the waiting message ages past a 2-second limit: exit 1, said on the screen
        Thread.sleep(2500);
        CliRun run = CliRun.of(relay.settings(), "status", "--max-age", "2s");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.out()).containsPattern("(?m)^  oldest message +\\d+s   OVER --max-age 2s$");
        assertThat(queuedRowsOf(waiting)).as("the queued message is the one waiting for its retry").isEqualTo(1);
    }

    private interface Check {
        boolean done(JsonNode status);
    }

    private static JsonNode awaitStatus(Check check) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode json = JSON.readTree(StatusView.json(read(), Duration.ofMinutes(15)));
        while (!check.done(json)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("status never showed the run: " + json.toPrettyString());
            }
            Thread.sleep(100);
            json = JSON.readTree(StatusView.json(read(), Duration.ofMinutes(15)));
        }
        return json;
    }

    private static RelayStatus read() throws Exception {
        return new StatusQueries(relay.database().database().dataSource()).read();
    }

    private static long queuedRowsOf(String emailId) throws Exception {
        try (Connection c = relay.database().database().dataSource().getConnection();
             PreparedStatement s = c.prepareStatement("SELECT count(*) FROM mail_queue WHERE email_id = ?::uuid")) {
            s.setString(1, emailId);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
