package dev.krafter.relay.ses;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.matching.RequestPatternBuilder;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.sesv2.SesV2Client;

/**
 * The SES v2 HTTP API on loopback (WireMock), for every test that needs SES: a real SDK client
 * pointed at it ({@link #client()}), or a relay reaching it through KRAFTER_SES_ENDPOINT
 * ({@link #relayEnv()}). Answers are set per test (accept, fail, a sequence, slow answers, a
 * GetAccount quota); every SendEmail call can be read back as a {@link Call}.
 */
public final class SesStandIn implements AutoCloseable {
    public static final String SEND_EMAIL = "/v2/email/outbound-emails";
    public static final String GET_ACCOUNT = "/v2/email/account";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One SendEmail call: the request body, the HTTP status it was answered, when it arrived. */
    public record Call(JsonNode request, int status, Instant at) {
        public Optional<String> tag(String name) {
            for (JsonNode tag : request.path("EmailTags")) {
                if (tag.path("Name").asText().equals(name)) {
                    return Optional.of(tag.path("Value").asText());
                }
            }
            return Optional.empty();
        }

        public String emailId() {
            return tag("email_id").orElse("");
        }

        /** ConfigurationSetName, or null when the request has none. */
        public String configurationSet() {
            return request.path("ConfigurationSetName").asText(null);
        }

        public byte[] raw() {
            return Base64.getDecoder().decode(request.path("Content").path("Raw").path("Data").asText(""));
        }

        public String rawText() {
            return new String(raw(), StandardCharsets.UTF_8);
        }

        /** Every address of Destination (To, Cc and Bcc: the relay puts the envelope in Bcc). */
        public List<String> destinations() {
            List<String> all = new ArrayList<>();
            for (String field : List.of("ToAddresses", "CcAddresses", "BccAddresses")) {
                request.path("Destination").path(field).forEach(a -> all.add(a.asText()));
            }
            return all;
        }

        public boolean accepted() {
            return status == 200;
        }
    }

    /** GetAccount's SendQuota JSON, or null: unstubbed, GetAccount gets WireMock's 404 and a relay runs unpaced. */
    private volatile String sendQuota;
    private final Map<UUID, Call> parsed = new ConcurrentHashMap<>();
    private final WireMockServer server = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());

    /** A stand-in with no answers yet: the test stubs what it needs. */
    public SesStandIn() {
        server.start();
    }

    /** A stand-in that accepts every SendEmail with a fresh MessageId. */
    public static SesStandIn accepting() {
        SesStandIn ses = new SesStandIn();
        ses.accept();
        return ses;
    }

    public String endpoint() {
        return server.baseUrl();
    }

    public WireMockServer server() {
        return server;
    }

    // An SDK client in this JVM

    public SesSettings settings() {
        return SesSettings.defaults().withEndpoint(URI.create(endpoint())).withRegion("eu-west-1");
    }

    public SesV2Client client(SesSettings settings) {
        return SesClients.create(settings, StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDSTANDIN", "standin-secret")));
    }

    public SesV2Client client() {
        return client(settings());
    }

    // A relay

    /** What sends a relay's SES calls here: endpoint, region and dummy credentials. */
    public Map<String, String> endpointEnv() {
        return Map.of("KRAFTER_SES_ENDPOINT", endpoint(), "KRAFTER_SES_REGION", "eu-west-1",
            "AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY", "test-secret");
    }

    /**
     * {@link #endpointEnv()} with fast retries. For a relay in this JVM the credentials are also set
     * as the SDK's system properties, which its default chain reads first.
     */
    public Map<String, String> relayEnv() {
        System.setProperty("aws.accessKeyId", "AKIDEXAMPLE");
        System.setProperty("aws.secretAccessKey", "test-secret");
        Map<String, String> env = new HashMap<>(endpointEnv());
        env.put("KRAFTER_SES_RETRY_INITIAL_DELAY", "1s");
        env.put("KRAFTER_SES_RETRY_MAX_DELAY", "2s");
        return Map.copyOf(env);
    }

    // Answers

    /** Forgets every stub and every request. */
    public void reset() {
        server.resetAll();
    }

    /** Adds an answer to every SendEmail (the newest stub wins). */
    public void answer(ResponseDefinitionBuilder response) {
        server.stubFor(post(urlPathEqualTo(SEND_EMAIL)).willReturn(response));
    }

    /** From now on every SendEmail gets 200 with a fresh MessageId (the quota, if set, stays). */
    public void accept() {
        answerOnly(okJson("{\"MessageId\":\"ses-{{randomValue type='UUID'}}\"}").withTransformers("response-template"));
    }

    /** From now on every SendEmail gets 200 with a fresh MessageId, each after {@code delay}: a slow SES. */
    public void acceptAfter(Duration delay) {
        answerOnly(okJson("{\"MessageId\":\"ses-{{randomValue type='UUID'}}\"}").withTransformers("response-template")
            .withFixedDelay((int) delay.toMillis()));
    }

    /** Every SendEmail gets 200 with this MessageId. */
    public void acceptAll(String messageId) {
        answer(okJson("{\"MessageId\":\"" + messageId + "\"}"));
    }

    /** An SES error as the service sends it: status, {@code x-amzn-ErrorType}, JSON body with the message. */
    public static ResponseDefinitionBuilder error(int status, String type, String message) {
        return aResponse().withStatus(status)
            .withHeader("Content-Type", "application/json")
            .withHeader("x-amzn-ErrorType", type)
            .withBody("{\"__type\":\"" + type + "\",\"message\":\"" + message + "\"}");
    }

    /** From now on every SendEmail fails so. */
    public void fail(int status, String type, String message) {
        fail(status, type, message, Duration.ZERO);
    }

    /** As {@link #fail(int, String, String)}, each answer {@code delay} late (an SES that is down and slow). */
    public void fail(int status, String type, String message, Duration delay) {
        answerOnly(error(status, type, message).withFixedDelay((int) delay.toMillis()));
    }

    /** The first {@code failures} calls get {@code status}, later ones 200. */
    public void failFirst(int failures, int status, String type) {
        ResponseDefinitionBuilder[] answers = new ResponseDefinitionBuilder[failures + 1];
        for (int i = 0; i < failures; i++) {
            answers[i] = error(status, type, "slow down");
        }
        answers[failures] = okJson("{\"MessageId\":\"ses-after-retry\"}");
        replaceAnswers(() -> {
            answerInSequence(answers);
            server.resetScenarios();
        });
    }

    /** Answers in order, one per call; the last answer repeats. */
    public void answerInSequence(ResponseDefinitionBuilder... responses) {
        String scenario = "sequence";
        for (int i = 0; i < responses.length; i++) {
            String state = i == 0 ? Scenario.STARTED : "step-" + i;
            String next = i == responses.length - 1 ? state : "step-" + (i + 1);
            server.stubFor(post(urlPathEqualTo(SEND_EMAIL)).inScenario(scenario).whenScenarioStateIs(state)
                .willReturn(responses[i]).willSetStateTo(next));
        }
    }

    /** GetAccount answers this SendQuota from now on (read by a relay at start and every KRAFTER_SES_QUOTA_REFRESH). */
    public void quota(double maxSendRate, double max24HourSend, double sentLast24Hours) {
        sendQuota = "{\"Max24HourSend\":" + max24HourSend + ",\"MaxSendRate\":" + maxSendRate
            + ",\"SentLast24Hours\":" + sentLast24Hours + "}";
        stubQuota();
    }

    private void answerOnly(ResponseDefinitionBuilder response) {
        replaceAnswers(() -> answer(response));
    }

    /**
     * The new answers in before the old ones go: a call arriving in between gets one of them, never
     * WireMock's 404 for "no stub", which the relay would hold as an answer that is not SES's, a retry no test meant.
     */
    private void replaceAnswers(Runnable stubNew) {
        List<StubMapping> old = server.getStubMappings();
        stubQuota();
        stubNew.run();
        old.forEach(server::removeStub);
    }

    private void stubQuota() {
        String quota = sendQuota;
        if (quota != null) {
            server.stubFor(get(urlPathEqualTo(GET_ACCOUNT)).willReturn(okJson("{\"SendQuota\":" + quota
                + ",\"SendingEnabled\":true,\"ProductionAccessEnabled\":true,\"EnforcementStatus\":\"HEALTHY\"}")));
        }
    }

    // What arrived

    public List<LoggedRequest> sendEmailRequests() {
        return server.findAll(WireMock.postRequestedFor(urlPathEqualTo(SEND_EMAIL)));
    }

    public void verify(int count, RequestPatternBuilder pattern) {
        server.verify(count, pattern);
    }

    /** Every answered SendEmail call so far, oldest first. */
    public List<Call> calls() {
        List<Call> calls = new ArrayList<>();
        List<ServeEvent> events = new ArrayList<>(server.getAllServeEvents());
        Collections.reverse(events); // WireMock lists the newest first
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

    public List<Call> callsFor(String emailId) {
        return calls().stream().filter(c -> c.emailId().equals(emailId)).toList();
    }

    /** Every SendEmail call so far whose raw message contains {@code token}. */
    public List<Call> callsContaining(String token) {
        return calls().stream().filter(c -> c.rawText().contains(token)).toList();
    }

    /** Waits until {@code done} holds for the calls so far; returns them. */
    public List<Call> await(Predicate<List<Call>> done, Duration timeout) throws InterruptedException {
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

    /** Waits for the first SendEmail call of the email {@code emailId}. */
    public Call awaitEmail(String emailId, Duration timeout) throws InterruptedException {
        return await(calls -> calls.stream().anyMatch(c -> c.emailId().equals(emailId)), timeout).stream()
            .filter(c -> c.emailId().equals(emailId)).findFirst().orElseThrow();
    }

    @Override
    public void close() {
        server.stop();
    }
}
