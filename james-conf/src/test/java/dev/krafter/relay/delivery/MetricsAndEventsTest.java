package dev.krafter.relay.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.apikey.NewApiKey;
import dev.krafter.relay.events.EventLog;
import dev.krafter.relay.queue.QueueGauges;
import dev.krafter.relay.server.RelayFixture;
import dev.krafter.relay.server.SmtpsClient;
import dev.krafter.relay.ses.SesStandIn;

/**
 * Metrics and event log end to end: a real relay (TLS, PostgreSQL holding the spool queue) whose
 * SES leg is the WireMock stand-in. Every kind of decision is provoked over the wire; the relay's
 * own metric registry (the Guice singleton GET /metrics exports) and the krafter.events lines must
 * say so.
 */
class MetricsAndEventsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FROM = "hello@yourdomain.com";
    private static final String TO = "recipient@example.com";

    private static SesStandIn ses;
    private static RelayFixture relay;
    private static NewApiKey key;
    private static final List<String> secrets = new ArrayList<>();
    private static final ListAppender<ILoggingEvent> events = new ListAppender<>();
    private static Logger eventLogger;
    private static Level eventLevel;

    @BeforeAll
    static void start() throws Exception {
        eventLogger = (Logger) LoggerFactory.getLogger(EventLog.LOGGER_NAME);
        eventLevel = eventLogger.getLevel();
        eventLogger.setLevel(Level.INFO);
        events.start();
        eventLogger.addAppender(events);
        ses = SesStandIn.accepting();
        relay = RelayFixture.start(ses.relayEnv());
        key = relay.newKey("obs-acme", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional", "broadcast"));
        remember(key.secret().value());
    }

    @AfterAll
    static void stop() throws Exception {
        eventLogger.detachAppender(events);
        eventLogger.setLevel(eventLevel);
        relay.close();
        ses.close();
    }

    @BeforeEach
    void sesAccepts() {
        ses.accept();
    }

    /** Each test starts with nothing in delivery, so the counts it compares are its own. */
    @AfterEach
    void queueDrained() throws InterruptedException {
        ses.accept();
        awaitDepth(0);
    }

    @Test
    void anAcceptedMessageIsCountedAndLoggedFromSmtpToSes() throws Exception {
        Counts before = counts();
        String id = send(key.secret().value(), "X-Krafter-Stream: broadcast\r\n");

        JsonNode accepted = awaitLine(l -> l.path("event").asText().equals("smtp.accepted") && l.path("email_id").asText().equals(id));
        JsonNode sent = awaitLine(l -> l.path("event").asText().equals("delivery.sent") && l.path("email_id").asText().equals(id));

        assertThat(accepted.get("key_prefix").asText()).isEqualTo(key.key().prefix());
        assertThat(accepted.get("account").asText()).isEqualTo("obs-acme");
        assertThat(accepted.get("stream").asText()).isEqualTo("broadcast");
        assertThat(accepted.get("configuration_set").asText()).isEqualTo("krafter-broadcast");
        assertThat(accepted.get("recipients").asInt()).isEqualTo(1);
        assertThat(accepted.get("remote_ip").asText()).isEqualTo("127.0.0.1");
        assertThat(accepted.get("size_bytes").asLong()).isPositive();
        assertThat(accepted.get("latency_ms").asLong()).isNotNegative();
        assertThat(sent.get("ses_message_id").asText()).startsWith("ses-");
        assertThat(sent.get("key_prefix").asText()).isEqualTo(key.key().prefix());
        assertThat(sent.get("account").asText()).isEqualTo("obs-acme");
        assertThat(sent.get("stream").asText()).isEqualTo("broadcast");
        assertThat(sent.get("attempt").asInt()).isZero();
        // the bytes SES got: X-Krafter-Stream removed, List-Unsubscribe added (broadcast)
        assertThat(sent.get("size_bytes").asLong()).isEqualTo(ses.callsFor(id).get(0).raw().length);

        Counts after = counts();
        assertThat(after.meter("krafter_smtp_accepted") - before.meter("krafter_smtp_accepted")).isEqualTo(1);
        assertThat(after.meter("krafter_ses_outcome_sent") - before.meter("krafter_ses_outcome_sent")).isEqualTo(1);
        assertThat(after.meter("krafter_auth_accepted") - before.meter("krafter_auth_accepted")).isEqualTo(1);
        assertThat(after.timer("krafter_smtp_decision_seconds") - before.timer("krafter_smtp_decision_seconds")).isEqualTo(1);
        assertThat(after.timer("krafter_ses_send_seconds") - before.timer("krafter_ses_send_seconds")).isEqualTo(1);
    }

    @Test
    void policyRefusalsAreCountedByReasonCode() throws Exception {
        NewApiKey transactionalOnly = relay.newKey("obs-narrow", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional"));
        remember(transactionalOnly.secret().value());
        Counts before = counts();

        try (SmtpsClient smtp = relay.connect().login(key.secret().value())) {
            assertThat(smtp.send(FROM, List.of(TO), message("X-Krafter-Stream: promo\r\n"))).startsWith("550 5.7.1 unknown stream");
        }
        try (SmtpsClient smtp = relay.connect().login(transactionalOnly.secret().value())) {
            assertThat(smtp.send(FROM, List.of(TO), message("X-Krafter-Stream: broadcast\r\n"))).startsWith("550 5.7.1 API key is not allowed");
        }

        Counts after = counts();
        assertThat(after.meter("krafter_smtp_rejected") - before.meter("krafter_smtp_rejected")).isEqualTo(2);
        assertThat(after.meter("krafter_smtp_rejected_invalid_stream") - before.meter("krafter_smtp_rejected_invalid_stream")).isEqualTo(1);
        assertThat(after.meter("krafter_smtp_rejected_stream_not_allowed") - before.meter("krafter_smtp_rejected_stream_not_allowed"))
            .isEqualTo(1);
        assertThat(after.meter("krafter_smtp_accepted")).isEqualTo(before.meter("krafter_smtp_accepted"));
        JsonNode invalid = awaitLine(l -> l.path("outcome").asText().equals("invalid_stream") && l.path("key_prefix").asText().equals(key.key().prefix()));
        assertThat(invalid.get("event").asText()).isEqualTo("smtp.rejected");
        assertThat(invalid.get("smtp_code").asInt()).isEqualTo(550);
        assertThat(invalid.get("phase").asText()).isEqualTo("data");
        assertThat(invalid.has("email_id")).as("a refused message has no email record").isFalse();
        assertThat(invalid.has("stream")).as("an unknown stream is not echoed").isFalse();
        JsonNode notAllowed = awaitLine(l -> l.path("outcome").asText().equals("stream_not_allowed"));
        assertThat(notAllowed.get("key_prefix").asText()).isEqualTo(transactionalOnly.key().prefix());
        assertThat(notAllowed.get("account").asText()).isEqualTo("obs-narrow");
        assertThat(notAllowed.get("stream").asText()).isEqualTo("broadcast");
    }

    @Test
    void aSandboxRecipientRefusedAtRcptIsCountedAndLogged() throws Exception {
        relay.keys().setSandbox("obs-sandbox", new ApiKey.Sandbox(true, Set.of("dev@acme.test"), 100));
        NewApiKey sandbox = relay.keys().create("obs-sandbox", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional"), true);
        remember(sandbox.secret().value());
        String metric = "krafter_smtp_rcpt_rejected_sandbox_recipient_not_allowed";
        Counts before = counts();

        try (SmtpsClient smtp = relay.connect().login(sandbox.secret().value())) {
            assertThat(smtp.command("MAIL FROM:<" + FROM + ">")).startsWith("250");
            assertThat(smtp.command("RCPT TO:<stranger@example.com>")).startsWith("550 5.7.1 sandbox accounts may only send to allow-listed");
        }

        assertThat(counts().meter(metric) - before.meter(metric)).isEqualTo(1);
        JsonNode line = awaitLine(l -> l.path("key_prefix").asText().equals(sandbox.key().prefix()));
        assertThat(line.get("event").asText()).isEqualTo("smtp.rejected");
        assertThat(line.get("phase").asText()).isEqualTo("rcpt");
        assertThat(line.get("outcome").asText()).isEqualTo("sandbox_recipient_not_allowed");
        assertThat(line.toString()).as("recipients are not logged").doesNotContain("stranger");
    }

    @Test
    void failedAuthIsCountedByReasonWithoutTheCredentials() throws Exception {
        String wrong = key.secret().value().substring(0, key.secret().value().length() - 4) + "Zzzz";
        remember(wrong);
        Counts before = counts();

        try (SmtpsClient smtp = relay.connect()) {
            smtp.ehlo();
            assertThat(smtp.authPlain("apikey", wrong)).startsWith("535");
            assertThat(smtp.authPlain("admin", key.secret().value())).startsWith("535");
        }

        Counts after = counts();
        assertThat(after.meter("krafter_auth_failed") - before.meter("krafter_auth_failed")).isEqualTo(2);
        assertThat(after.meter("krafter_auth_failed_unknown_key") - before.meter("krafter_auth_failed_unknown_key")).isEqualTo(1);
        assertThat(after.meter("krafter_auth_failed_wrong_username") - before.meter("krafter_auth_failed_wrong_username")).isEqualTo(1);
        JsonNode line = awaitLine(l -> l.path("event").asText().equals("auth.failed") && l.path("outcome").asText().equals("wrong_username"));
        assertThat(line.get("remote_ip").asText()).isEqualTo("127.0.0.1");
    }

    @Test
    void sesRetriesAndRefusalsAreCountedAndTheQueueDepthShowsWaitingMail() throws Exception {
        Counts before = counts();
        ses.fail(503, "InternalFailure", "try later");
        String waiting = send(key.secret().value(), "");
        JsonNode retry = awaitLine(l -> l.path("event").asText().equals("delivery.retry") && l.path("email_id").asText().equals(waiting));
        assertThat(retry.get("reason").asText()).contains("InternalFailure");
        assertThat(retry.get("retry_in_s").asLong()).isBetween(0L, 2L);

        awaitDepth(1);
        long jamesSize = relay.probe().spoolSizeFromJames();
        System.out.printf("queue depth while one mail waits for its retry: gauge 1, James getSize() %d%n", jamesSize);
        // 2 only in the instant a retry is re-enqueued before the copy being delivered is acknowledged
        assertThat(jamesSize).isBetween(1L, 2L);
        measureQueueDepthReads();

        ses.fail(400, "MessageRejected", "Email address is not verified.");
        JsonNode failed = awaitLine(l -> l.path("event").asText().equals("delivery.failed") && l.path("email_id").asText().equals(waiting));
        assertThat(failed.get("reason").asText()).startsWith("MessageRejected");
        assertThat(failed.get("attempt").asInt()).isGreaterThanOrEqualTo(1);
        awaitDepth(0);

        Counts after = counts();
        assertThat(after.meter("krafter_ses_outcome_retry") - before.meter("krafter_ses_outcome_retry")).isGreaterThanOrEqualTo(1);
        assertThat(after.meter("krafter_ses_outcome_failed") - before.meter("krafter_ses_outcome_failed")).isEqualTo(1);
        assertThat(after.meter("krafter_delivery_failed") - before.meter("krafter_delivery_failed")).isEqualTo(1);
        assertThat(after.meter("krafter_ses_outcome_sent")).isEqualTo(before.meter("krafter_ses_outcome_sent"));
    }

    @Test
    void everyEventLineIsOneJsonObjectWithoutSecrets() throws Exception {
        String id = send(key.secret().value(), "");
        awaitLine(l -> l.path("event").asText().equals("delivery.sent") && l.path("email_id").asText().equals(id));
        try (SmtpsClient smtp = relay.connect()) {
            smtp.ehlo();
            assertThat(smtp.authPlain("apikey", key.secret().value() + "x")).startsWith("535");
        }
        remember(key.secret().value() + "x");
        awaitLine(l -> l.path("event").asText().equals("auth.failed"));

        List<String> lines = lines();
        assertThat(lines).isNotEmpty();
        for (String line : lines) {
            assertThat(line).doesNotContain("\n", "\r");
            JsonNode json = JSON.readTree(line);
            assertThat(json.isObject()).isTrue();
            assertThat(json.get("ts").asText()).endsWith("Z");
            assertThat(json.get("event").asText()).matches("(smtp|delivery|auth)\\.[a-z]+");
            for (String secret : secrets) {
                assertThat(line).as("an event line holds a secret form").doesNotContain(secret);
            }
        }
        System.out.printf("event lines checked: %d, secret forms: %d%n", lines.size(), secrets.size());
        System.out.println("metrics in the relay's registry: " + relay.probe().metrics().getNames());
    }

    /** Reads of the gauge (one query a second at most) against James's getSize() (a count each time); figures only, no assertion on time. */
    private static void measureQueueDepthReads() throws Exception {
        Gauge<?> gauge = gauge(QueueGauges.DEPTH);
        int reads = 200;
        for (int i = 0; i < 20; i++) {
            gauge.getValue();
            relay.probe().spoolSizeFromJames();
        }
        long start = System.nanoTime();
        for (int i = 0; i < reads; i++) {
            gauge.getValue();
        }
        long gaugeNanos = (System.nanoTime() - start) / reads;
        start = System.nanoTime();
        for (int i = 0; i < reads; i++) {
            relay.probe().spoolSizeFromJames();
        }
        long jamesNanos = (System.nanoTime() - start) / reads;
        System.out.printf("queue depth read, mean of %d: krafter_queue_depth gauge %.1f µs, James getSize() %.1f µs%n",
            reads, gaugeNanos / 1000.0, jamesNanos / 1000.0);
    }

    private static void awaitDepth(long expected) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while ((Long) gauge(QueueGauges.DEPTH).getValue() != expected) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("queue depth " + gauge(QueueGauges.DEPTH).getValue() + ", expected " + expected);
            }
            Thread.sleep(50);
        }
    }

    private static Gauge<?> gauge(String name) {
        Gauge<?> gauge = relay.probe().metrics().getGauges().get(name);
        assertThat(gauge).as("gauge " + name).isNotNull();
        return gauge;
    }

    private static String send(String secret, String headers) throws Exception {
        try (SmtpsClient smtp = relay.connect().login(secret)) {
            String reply = smtp.send(FROM, List.of(TO), message(headers));
            assertThat(reply).startsWith("250 2.0.0 OK id=");
            return reply.substring(reply.indexOf("id=") + 3).trim();
        }
    }

    private static byte[] message(String headers) {
        return ("From: " + FROM + "\r\nTo: " + TO + "\r\nSubject: metrics\r\n" + headers + "\r\nHello.\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    }

    /** The key, its random tail and the AUTH PLAIN payloads that carry it. */
    private static void remember(String secret) {
        secrets.add(secret);
        secrets.add(secret.substring(secret.length() - 20));
        secrets.add(b64("\0apikey\0" + secret));
        secrets.add(b64("\0admin\0" + secret));
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> lines() {
        synchronized (events) {
            return events.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        }
    }

    private static JsonNode awaitLine(Predicate<JsonNode> match) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            for (String line : lines()) {
                JsonNode json = JSON.readTree(line);
                if (match.test(json)) {
                    return json;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no such event line; lines: " + lines());
            }
            Thread.sleep(50);
        }
    }

    private static Counts counts() {
        return new Counts(relay.probe().metrics());
    }

    /** A snapshot of the relay's meters and timers, to compare before and after. */
    private record Counts(java.util.Map<String, Long> meters, java.util.Map<String, Long> timers) {
        Counts(MetricRegistry registry) {
            this(snapshot(registry.getMeters()), snapshotTimers(registry.getTimers()));
        }

        long meter(String name) {
            assertThat(meters).as("meter " + name + " is registered").containsKey(name);
            return meters.get(name);
        }

        long timer(String name) {
            assertThat(timers).as("timer " + name + " is registered").containsKey(name);
            return timers.get(name);
        }

        private static java.util.Map<String, Long> snapshot(java.util.Map<String, Meter> meters) {
            java.util.Map<String, Long> counts = new java.util.HashMap<>();
            meters.forEach((name, meter) -> counts.put(name, meter.getCount()));
            return counts;
        }

        private static java.util.Map<String, Long> snapshotTimers(java.util.Map<String, Timer> timers) {
            java.util.Map<String, Long> counts = new java.util.HashMap<>();
            timers.forEach((name, timer) -> counts.put(name, timer.getCount()));
            return counts;
        }
    }
}
