package dev.krafter.relay.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.krafter.relay.cli.CliRun;
import dev.krafter.relay.db.TestDatabase;
import dev.krafter.relay.status.StatusRows;

/**
 * {@code bin/krafter-relay status} against a real PostgreSQL holding what relays leave behind: node
 * heartbeats, spool rows of several nodes, email records of both streams and ages. Every figure of
 * the screen and of {@code --json} is checked against the rows, and the exit status against
 * {@code --max-age}.
 */
class StatusCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static TestDatabase db;

    @BeforeAll
    static void rows() {
        db = TestDatabase.create();
        StatusRows rows = new StatusRows(db.database().dataSource());
        rows.node("node-a", "relay1", Duration.ofHours(3), Duration.ofSeconds(2));
        rows.node("node-b", "relay2", Duration.ofHours(3), Duration.ofMinutes(5));
        rows.node("node-c", "relay3", Duration.ofHours(1), Duration.ofSeconds(45));      // two beats late: still up
        rows.node("node-old", "relay0", Duration.ofDays(9), Duration.ofDays(2));

        // spool: the oldest 20 minutes old (leased by node-a), one waiting for its retry, one fresh;
        // a row of another queue is not the spool's
        rows.queued("spool", Duration.ofMinutes(20), Duration.ofMinutes(20), "node-a");
        rows.queued("spool", Duration.ofMinutes(3), Duration.ofMinutes(-4), null);
        rows.queued("spool", Duration.ofSeconds(1), Duration.ofSeconds(1), null);
        rows.queued("outgoing", Duration.ofHours(2), Duration.ofHours(2), null);

        rows.email("transactional", "sent", 0, null, Duration.ofMinutes(1));
        rows.email("transactional", "sent", 0, null, Duration.ofMinutes(2));
        rows.email("transactional", "sent", 1, null, Duration.ofHours(2));             // 24 h: sent and deferred
        rows.email("broadcast", "failed", 0, "MessageRejected: Email address is not verified.", Duration.ofMinutes(10));
        rows.email("transactional", "queued", 2, "InternalFailure: try later", Duration.ofMinutes(4));
        rows.email("broadcast", "queued", 1, "InternalFailure: try later", Duration.ofMinutes(1));
        rows.email("broadcast", "failed", 3, "retries exhausted: " + "x".repeat(300), Duration.ofHours(5));
        rows.email("transactional", "failed", 0, "MessageRejected: older than a day", Duration.ofDays(3));
        rows.email("broadcast", "queued", 0, null, Duration.ofSeconds(1));              // accepted, nothing happened yet
    }

    @AfterAll
    static void drop() {
        db.close();
    }

    @Test
    void jsonCountsWhatTheRowsSay() throws Exception {
        CliRun run = status("--json");
        assertThat(run.exit()).as("the oldest is 20 minutes old, over the default 15m").isEqualTo(1);
        JsonNode json = JSON.readTree(run.out());
        assertThat(json.get("max_age_seconds").asLong()).isEqualTo(900);
        assertThat(json.get("oldest_over_max_age").asBoolean()).isTrue();

        assertThat(json.get("nodes").findValuesAsText("id")).containsExactly("node-a", "node-b", "node-c");
        assertThat(json.get("nodes").findValues("up")).extracting(JsonNode::asBoolean).containsExactly(true, false, true);
        assertThat(json.get("nodes").get(0).get("host").asText()).isEqualTo("relay1");
        assertThat(json.get("nodes_up").asInt()).isEqualTo(2);

        JsonNode queue = json.get("queue");
        assertThat(queue.get("depth").asLong()).isEqualTo(3);
        assertThat(queue.get("oldest_age_seconds").asDouble()).isBetween(1200.0, 1260.0);
        assertThat(queue.get("retry_waiting").asLong()).isEqualTo(1);
        assertThat(queue.get("in_delivery").asLong()).isEqualTo(1);

        JsonNode hour = json.get("deliveries").get("last_hour");
        assertThat(counts(hour.get("transactional"))).containsExactly(2L, 0L, 1L);
        assertThat(counts(hour.get("broadcast"))).containsExactly(0L, 1L, 1L);
        JsonNode day = json.get("deliveries").get("last_24h");
        assertThat(counts(day.get("transactional"))).containsExactly(3L, 0L, 2L);
        assertThat(counts(day.get("broadcast"))).containsExactly(0L, 2L, 2L);

        JsonNode errors = json.get("errors");
        assertThat(errors.findValuesAsText("error")).containsExactly("InternalFailure: try later",
            "MessageRejected: Email address is not verified.", "retries exhausted: " + "x".repeat(300));
        assertThat(errors.findValues("emails")).extracting(JsonNode::asLong).containsExactly(2L, 1L, 1L);
    }

    @Test
    void theScreenShowsTheSameFigures() throws Exception {
        CliRun run = status();
        assertThat(run.exit()).isEqualTo(1);
        System.out.println(run.out());
        assertThat(run.out())
            .contains("Nodes: 2 up, 3 seen in the last 24h (up: heartbeat within 1m)")
            .containsPattern("(?m)^  node-a +relay1 .* \\ds ago +up$")
            .containsPattern("(?m)^  node-b +relay2 .* 5m(0\\ds)? ago +DOWN$")
            .containsPattern("(?m)^  node-c +relay3 .* 4\\ds ago +up$")
            .doesNotContain("node-old")
            .containsPattern("(?m)^  depth +3$")
            .containsPattern("(?m)^  oldest message +20m(\\d\\ds)?   OVER --max-age 15m$")
            .containsPattern("(?m)^  waiting for retry +1$")
            .containsPattern("(?m)^  in delivery +1$")
            .containsPattern("(?m)^  last hour +SENT +FAILED +DEFERRED\\n    transactional +2 +0 +1\\n    broadcast +0 +1 +1$")
            .containsPattern("(?m)^  last 24h +SENT +FAILED +DEFERRED\\n    transactional +3 +0 +2\\n    broadcast +0 +2 +2$")
            .containsPattern("(?m)^ +2  \\S+  InternalFailure: try later$")
            .containsPattern("(?m)^ +1  \\S+  retries exhausted: x{80}…$");
    }

    @Test
    void underTheMaxAgeTheExitStatusIsZero() throws Exception {
        CliRun run = status("--max-age", "1h");
        assertThat(run.exit()).isZero();
        assertThat(run.out()).doesNotContain("OVER");
        assertThat(status("--json", "--max-age", "90s").exit()).isEqualTo(1);
    }

    @Test
    void anEmptyRelayHasNoOldestMessageAndExitsZero() throws Exception {
        try (TestDatabase empty = TestDatabase.create()) {
            CliRun run = status(empty, "--json", "--max-age", "1s");
            assertThat(run.exit()).isZero();
            JsonNode json = JSON.readTree(run.out());
            assertThat(json.get("queue").get("depth").asLong()).isZero();
            assertThat(json.get("queue").get("oldest_age_seconds").isNull()).isTrue();
            assertThat(json.get("nodes")).isEmpty();
            assertThat(json.get("errors")).isEmpty();
            assertThat(counts(json.get("deliveries").get("last_24h").get("broadcast"))).containsExactly(0L, 0L, 0L);
            assertThat(status(empty).out()).containsPattern("(?m)^  oldest message +-$").contains("  none\n");
        }
    }

    @Test
    void aDatabaseWithoutTheRelaysTablesIsSaidSo() throws Exception {
        try (TestDatabase bare = TestDatabase.create()) {
            new StatusRows(bare.database().dataSource()).execute("DROP TABLE relay_nodes");
            assertThatThrownBy(() -> status(bare)).hasMessageStartingWith("this database does not have the relay's tables yet")
                .hasMessageContaining("relay_nodes").hasMessageEndingWith("run bin/krafter-relay migrate");
        }
    }

    @Test
    void aBadMaxAgeIsAUsageError() {
        assertThatThrownBy(() -> status("--max-age", "soon")).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("--max-age needs a duration");
        assertThatThrownBy(() -> status("--verbose")).isInstanceOf(IllegalArgumentException.class);
    }

    static CliRun status(String... args) throws Exception {
        return status(db, args);
    }

    static CliRun status(TestDatabase database, String... args) throws Exception {
        RelaySettings settings = RelaySettings.fromEnvironment(Map.of("KRAFTER_DB_URL", database.url(),
            "KRAFTER_DB_USER", database.user(), "KRAFTER_DB_PASSWORD", database.password()));
        return CliRun.of(settings, Stream.concat(Stream.of("status"), Stream.of(args)).toArray(String[]::new));
    }

    private static List<Long> counts(JsonNode stream) {
        return List.of(stream.get("sent").asLong(), stream.get("failed").asLong(), stream.get("deferred").asLong());
    }
}
