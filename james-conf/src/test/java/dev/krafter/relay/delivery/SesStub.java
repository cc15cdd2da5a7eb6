package dev.krafter.relay.delivery;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;

/**
 * The SES v2 HTTP API on loopback (WireMock): the relay's real AWS SDK talks to it through
 * KRAFTER_SES_ENDPOINT. Every SendEmail call is kept, with what the SDK sent and what it was answered.
 */
final class SesStub implements AutoCloseable {
    static final String SEND_EMAIL = "/v2/email/outbound-emails";
    static final String GET_ACCOUNT = "/v2/email/account";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One SendEmail call: the request body, the HTTP status the stub answered, when it arrived. */
    record Call(JsonNode request, int status, Instant at) {
        String emailId() {
            for (JsonNode tag : request.path("EmailTags")) {
                if (tag.path("Name").asText().equals("email_id")) {
                    return tag.path("Value").asText();
                }
            }
            return "";
        }

        byte[] raw() {
            return Base64.getDecoder().decode(request.path("Content").path("Raw").path("Data").asText());
        }

        List<String> destinations() {
            List<String> all = new ArrayList<>();
            for (String field : List.of("ToAddresses", "CcAddresses", "BccAddresses")) {
                request.path("Destination").path(field).forEach(a -> all.add(a.asText()));
            }
            return all;
        }

        boolean accepted() {
            return status == 200;
        }
    }

    /** GetAccount's SendQuota JSON, or null: unstubbed, GetAccount gets WireMock's 404 and the relay runs unpaced. */
    private volatile String sendQuota;
    private final Map<UUID, Call> parsed = new ConcurrentHashMap<>();
    private final WireMockServer server = new WireMockServer(wireMockConfig().bindAddress("127.0.0.1").dynamicPort());

    SesStub() {
        server.start();
        accept();
    }

    String endpoint() {
        return server.baseUrl();
    }

    /**
     * The environment that sends the relay's SES calls here (dummy credentials, fast retries). For a
     * relay in this JVM the credentials are also set as the SDK's system properties, which its
     * default chain reads first.
     */
    Map<String, String> relayEnv() {
        System.setProperty("aws.accessKeyId", "AKIDEXAMPLE");
        System.setProperty("aws.secretAccessKey", "test-secret");
        return Map.of("KRAFTER_SES_ENDPOINT", endpoint(), "KRAFTER_SES_REGION", "eu-west-1",
            "AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY", "test-secret",
            "KRAFTER_SES_RETRY_INITIAL_DELAY", "1s", "KRAFTER_SES_RETRY_MAX_DELAY", "2s");
    }

    void accept() {
        answer(okJson("{\"MessageId\":\"ses-{{randomValue type='UUID'}}\"}").withTransformers("response-template"));
    }

    void answer(ResponseDefinitionBuilder response) {
        server.resetMappings();
        stubQuota();
        server.stubFor(post(urlPathEqualTo(SEND_EMAIL)).willReturn(response));
    }

    /** GetAccount answers this SendQuota from now on (read by the relay at start and every KRAFTER_SES_QUOTA_REFRESH). */
    void quota(double maxSendRate, double max24HourSend, double sentLast24Hours) {
        sendQuota = "{\"Max24HourSend\":" + max24HourSend + ",\"MaxSendRate\":" + maxSendRate
            + ",\"SentLast24Hours\":" + sentLast24Hours + "}";
        stubQuota();
    }

    private void stubQuota() {
        String quota = sendQuota;
        if (quota != null) {
            server.stubFor(get(urlPathEqualTo(GET_ACCOUNT)).willReturn(okJson("{\"SendQuota\":" + quota
                + ",\"SendingEnabled\":true,\"ProductionAccessEnabled\":true,\"EnforcementStatus\":\"HEALTHY\"}")));
        }
    }

    /** SES's error shape: the type in x-amzn-ErrorType, the text in the JSON body. */
    void fail(int status, String type, String message) {
        fail(status, type, message, Duration.ZERO);
    }

    /** As {@link #fail(int, String, String)}, each answer {@code delay} late (an SES that is down and slow). */
    void fail(int status, String type, String message, Duration delay) {
        answer(aResponse().withStatus(status).withHeader("x-amzn-ErrorType", type)
            .withHeader("Content-Type", "application/json").withFixedDelay((int) delay.toMillis())
            .withBody("{\"__type\":\"" + type + "\",\"message\":\"" + message + "\"}"));
    }

    /** The first {@code failures} calls get {@code status}, later ones 200 (a WireMock scenario). */
    void failFirst(int failures, int status, String type) {
        server.resetMappings();
        stubQuota();
        String scenario = "flaky";
        for (int i = 0; i < failures; i++) {
            server.stubFor(post(urlPathEqualTo(SEND_EMAIL)).inScenario(scenario)
                .whenScenarioStateIs(i == 0 ? com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED : "failed-" + i)
                .willSetStateTo("failed-" + (i + 1))
                .willReturn(aResponse().withStatus(status).withHeader("x-amzn-ErrorType", type)
                    .withHeader("Content-Type", "application/json").withBody("{\"message\":\"slow down\"}")));
        }
        server.stubFor(post(urlPathEqualTo(SEND_EMAIL)).inScenario(scenario).whenScenarioStateIs("failed-" + failures)
            .willReturn(okJson("{\"MessageId\":\"ses-after-retry\"}")));
    }

    List<Call> calls() {
        List<Call> calls = new ArrayList<>();
        List<ServeEvent> events = new ArrayList<>(server.getAllServeEvents());
        java.util.Collections.reverse(events); // WireMock lists the newest first
        for (ServeEvent event : events) {
            if (!event.getRequest().getUrl().startsWith(SEND_EMAIL)
                || event.getResponse() == null || event.getResponse().getStatus() == 0) {
                continue; // not a SendEmail call, or one still being answered
            }
            // Parsed once: a test polling thousands of calls does not parse every body on every look.
            calls.add(parsed.computeIfAbsent(event.getId(), id -> {
                try {
                    return new Call(JSON.readTree(event.getRequest().getBodyAsString()), event.getResponse().getStatus(),
                        event.getRequest().getLoggedDate().toInstant());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }));
        }
        return calls;
    }

    List<Call> callsFor(String emailId) {
        return calls().stream().filter(c -> c.emailId().equals(emailId)).toList();
    }

    /** Waits until {@code done} holds for the calls so far; returns them. */
    List<Call> await(Predicate<List<Call>> done, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Call> calls = calls();
        while (!done.test(calls)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("SES stand-in: condition not met after " + timeout + "; calls: " + calls.size());
            }
            Thread.sleep(50);
            calls = calls();
        }
        return calls;
    }

    @Override
    public void close() {
        server.stop();
    }
}
