package dev.krafter.relay.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import com.codahale.metrics.Timer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The recorder over James's Dropwizard metric factory: what each decision counts and the line it writes. */
class RelayEventsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Submission SUBMISSION = new Submission("kr_live_AbC1", "acme", "127.0.0.7", 2, 1234);
    private static final UUID ID = UUID.fromString("0b7e1c55-3f4e-4e1f-9d0e-1a2b3c4d5e6f");

    private final TestEvents test = new TestEvents();
    private final RelayEvents events = test.events();

    @Test
    void everyFixedMetricIsRegisteredAtZeroBeforeTheFirstEvent() {
        events.knownRejectionCodes(List.of("invalid_stream"));
        events.knownRcptRejectionCodes(List.of("sandbox_extra_recipients"));
        events.knownAuthFailureReasons(List.of("unknown_key"));
        assertThat(test.registry().getMeters()).containsKeys("krafter_auth_accepted", "krafter_auth_failed",
            "krafter_auth_failed_unknown_key", "krafter_smtp_accepted", "krafter_smtp_rejected",
            "krafter_smtp_rejected_invalid_stream", "krafter_smtp_rcpt_rejected_sandbox_extra_recipients", "krafter_smtp_deferred",
            "krafter_ses_outcome_sent", "krafter_ses_outcome_retry", "krafter_ses_outcome_failed", "krafter_delivery_failed");
        assertThat(test.registry().getMeters()).doesNotContainKey("krafter_smtp_rcpt_rejected_invalid_stream");
        assertThat(test.registry().getMeters().values()).allMatch(m -> m.getCount() == 0);
        assertThat(test.registry().getTimers()).containsOnlyKeys("krafter_smtp_decision_seconds", "krafter_ses_send_seconds");
        assertThat(test.registry().getTimers().values()).allMatch(t -> t.getCount() == 0);
        assertThat(test.lines()).isEmpty();
    }

    @Test
    void anAcceptedMessageIsCountedAndLoggedWithItsFacts() throws Exception {
        Timed<String> decision = events.timeDecision(() -> "done");
        events.smtpAccepted(SUBMISSION, ID, "broadcast", "krafter-broadcast", Duration.ofMillis(12));

        assertThat(decision.value()).isEqualTo("done");
        assertThat(test.count("krafter_smtp_accepted")).isEqualTo(1);
        assertThat(test.registry().getTimers().get("krafter_smtp_decision_seconds").getCount()).isEqualTo(1);
        JsonNode line = onlyLine();
        assertThat(fields(line)).containsExactly("ts", "event", "email_id", "key_prefix", "account", "remote_ip",
            "recipients", "size_bytes", "stream", "configuration_set", "outcome", "smtp_code", "latency_ms");
        assertThat(line.get("event").asText()).isEqualTo("smtp.accepted");
        assertThat(line.get("email_id").asText()).isEqualTo(ID.toString());
        assertThat(line.get("key_prefix").asText()).isEqualTo("kr_live_AbC1");
        assertThat(line.get("account").asText()).isEqualTo("acme");
        assertThat(line.get("remote_ip").asText()).isEqualTo("127.0.0.7");
        assertThat(line.get("recipients").asInt()).isEqualTo(2);
        assertThat(line.get("size_bytes").asLong()).isEqualTo(1234);
        assertThat(line.get("stream").asText()).isEqualTo("broadcast");
        assertThat(line.get("configuration_set").asText()).isEqualTo("krafter-broadcast");
        assertThat(line.get("outcome").asText()).isEqualTo("accepted");
        assertThat(line.get("smtp_code").asInt()).isEqualTo(250);
        assertThat(line.get("latency_ms").asLong()).isEqualTo(12);
        assertThat(line.get("ts").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{1,3})?Z");
    }

    @Test
    void rejectionsAreCountedInTotalAndByCodeAndByPhase() throws Exception {
        events.smtpRejected(SUBMISSION, null, "invalid_stream", Duration.ofMillis(1));
        events.smtpRejected(SUBMISSION, "broadcast", "stream_not_allowed", Duration.ofMillis(1));
        events.smtpRcptRejected("kr_test_Zz9", "sbx", "127.0.0.8", "sandbox_recipient_not_allowed");

        assertThat(test.count("krafter_smtp_rejected")).isEqualTo(2);
        assertThat(test.count("krafter_smtp_rejected_invalid_stream")).isEqualTo(1);
        assertThat(test.count("krafter_smtp_rejected_stream_not_allowed")).isEqualTo(1);
        assertThat(test.count("krafter_smtp_rcpt_rejected_sandbox_recipient_not_allowed")).isEqualTo(1);
        List<JsonNode> lines = lines();
        assertThat(lines).extracting(l -> l.get("event").asText()).containsOnly("smtp.rejected");
        assertThat(lines.get(0).has("stream")).as("no stream when the stream was the problem").isFalse();
        assertThat(lines.get(0).get("phase").asText()).isEqualTo("data");
        assertThat(lines.get(1).get("stream").asText()).isEqualTo("broadcast");
        assertThat(lines.get(2).get("phase").asText()).isEqualTo("rcpt");
        assertThat(lines.get(2).get("outcome").asText()).isEqualTo("sandbox_recipient_not_allowed");
        assertThat(lines).allMatch(l -> l.get("smtp_code").asInt() == 550);
    }

    @Test
    void aDeferralNamesTheErrorClassOnlyNotItsMessage() throws Exception {
        events.smtpDeferred(SUBMISSION, new IllegalStateException("jdbc:postgresql://db/x?password=hunter2"), Duration.ZERO);

        assertThat(test.count("krafter_smtp_deferred")).isEqualTo(1);
        JsonNode line = onlyLine();
        assertThat(line.get("event").asText()).isEqualTo("smtp.deferred");
        assertThat(line.get("smtp_code").asInt()).isEqualTo(451);
        assertThat(line.get("error").asText()).isEqualTo("IllegalStateException");
        assertThat(test.lines().get(0)).doesNotContain("hunter2");
    }

    @Test
    void authFailuresAreCountedByReasonAndLoggedWithoutCredentials() throws Exception {
        events.authAccepted();
        events.authFailed("127.0.0.9", "unknown_key");
        events.authFailed("127.0.0.9", "locked");

        assertThat(test.count("krafter_auth_accepted")).isEqualTo(1);
        assertThat(test.count("krafter_auth_failed")).isEqualTo(2);
        assertThat(test.count("krafter_auth_failed_unknown_key")).isEqualTo(1);
        assertThat(test.count("krafter_auth_failed_locked")).isEqualTo(1);
        List<JsonNode> lines = lines();
        assertThat(lines).hasSize(2);
        assertThat(fields(lines.get(0))).containsExactly("ts", "event", "outcome", "remote_ip");
    }

    @Test
    void sesCallsAreTimedAndCountedByOutcome() {
        Timed<String> sent = events.sesSend(() -> "ok", v -> "sent");
        events.sesSend(() -> "throttled", v -> "retry");
        events.sesSend(() -> "throttled", v -> "retry");
        events.sesSend(() -> "rejected", v -> "failed");

        assertThat(sent.value()).isEqualTo("ok");
        Timer timer = test.registry().getTimers().get("krafter_ses_send_seconds");
        assertThat(timer.getCount()).isEqualTo(4);
        assertThat(test.count("krafter_ses_outcome_sent")).isEqualTo(1);
        assertThat(test.count("krafter_ses_outcome_retry")).isEqualTo(2);
        assertThat(test.count("krafter_ses_outcome_failed")).isEqualTo(1);
        assertThat(test.lines()).as("SES calls are counted; the delivery events say what became of the email").isEmpty();
    }

    @Test
    void deliveryEventsCarryTheEmailAndOnlyFailuresCountAsFailedDeliveries() throws Exception {
        Delivery delivery = new Delivery(ID, "kr_live_AbC1", "acme", "transactional", "krafter-transactional", 1, 900, 0);
        events.deliveryRetry(delivery, "TooManyRequests: slow down", Duration.ofMillis(40), Duration.ofSeconds(30));
        events.deliverySent(new Delivery(ID, "kr_live_AbC1", "acme", "transactional", "krafter-transactional", 1, 900, 1),
            "ses-0001", Duration.ofMillis(35));
        events.deliveryFailed(delivery, "x".repeat(1000), null);

        assertThat(test.count("krafter_delivery_failed")).isEqualTo(1);
        List<JsonNode> lines = lines();
        assertThat(lines).extracting(l -> l.get("event").asText())
            .containsExactly("delivery.retry", "delivery.sent", "delivery.failed");
        assertThat(lines).extracting(l -> l.get("outcome").asText()).containsExactly("retry", "sent", "failed");
        assertThat(lines.get(0).get("retry_in_s").asLong()).isEqualTo(30);
        assertThat(lines.get(0).get("reason").asText()).isEqualTo("TooManyRequests: slow down");
        assertThat(lines.get(1).get("ses_message_id").asText()).isEqualTo("ses-0001");
        assertThat(lines.get(1).get("attempt").asInt()).isEqualTo(1);
        assertThat(lines.get(1).get("latency_ms").asLong()).isEqualTo(35);
        assertThat(lines.get(2).get("reason").asText()).hasSize(RelayEvents.MAX_REASON_LENGTH);
        assertThat(lines.get(2).has("latency_ms")).as("no SES call, no latency").isFalse();
        for (JsonNode line : lines) {
            assertThat(line.get("email_id").asText()).isEqualTo(ID.toString());
            assertThat(line.get("configuration_set").asText()).isEqualTo("krafter-transactional");
        }
    }

    @Test
    void aLineIsOneAsciiJsonObjectWhateverTheValuesHold() throws Exception {
        String hostile = "line one\r\nline two \"quoted\" \\ \u0000 Grüße ☃";
        events.deliveryFailed(new Delivery(ID, null, null, null, null, 0, -1, 0), hostile, null);

        String raw = test.lines().get(0);
        assertThat(raw).doesNotContain("\n", "\r").matches("\\A\\p{ASCII}*\\z").startsWith("{").endsWith("}");
        JsonNode line = JSON.readTree(raw);
        assertThat(line.get("reason").asText()).isEqualTo(hostile);
        assertThat(fields(line)).doesNotContain("key_prefix", "account", "stream", "size_bytes");
    }

    @Test
    void metricNamesStayPrometheusNames() {
        events.authFailed("127.0.0.1", "Weird Reason-2");
        assertThat(test.count("krafter_auth_failed_weird_reason_2")).isEqualTo(1);
    }

    private JsonNode onlyLine() throws Exception {
        List<JsonNode> lines = lines();
        assertThat(lines).hasSize(1);
        return lines.get(0);
    }

    private List<JsonNode> lines() throws Exception {
        List<JsonNode> parsed = new ArrayList<>();
        for (String line : test.lines()) {
            parsed.add(JSON.readTree(line));
        }
        return parsed;
    }

    private static List<String> fields(JsonNode line) {
        List<String> names = new ArrayList<>();
        line.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
