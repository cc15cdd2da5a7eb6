package dev.krafter.relay.ses;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import java.net.URI;
import java.util.List;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.matching.RequestPatternBuilder;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.sesv2.SesV2Client;

/**
 * WireMock on loopback answering the SES v2 SendEmail operation, and a real SDK client pointed at it
 * through {@link SesClients} (endpoint override, static dummy credentials, a fixed region).
 */
public final class SesStandIn implements AutoCloseable {
    public static final String SEND_EMAIL = "/v2/email/outbound-emails";

    private final WireMockServer server;

    public SesStandIn() {
        server = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        server.start();
    }

    public SesSettings settings() {
        return SesSettings.defaults().withEndpoint(URI.create(server.baseUrl())).withRegion("eu-west-1");
    }

    public SesV2Client client(SesSettings settings) {
        return SesClients.create(settings, StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDSTANDIN", "standin-secret")));
    }

    public SesV2Client client() {
        return client(settings());
    }

    public WireMockServer server() {
        return server;
    }

    public void reset() {
        server.resetAll();
    }

    public void acceptAll(String messageId) {
        server.stubFor(post(urlEqualTo(SEND_EMAIL)).willReturn(okJson("{\"MessageId\":\"" + messageId + "\"}")));
    }

    /** An SES error as the service sends it: status, {@code x-amzn-ErrorType}, JSON body with the message. */
    public static ResponseDefinitionBuilder error(int status, String type, String message) {
        return aResponse().withStatus(status)
            .withHeader("Content-Type", "application/json")
            .withHeader("x-amzn-ErrorType", type)
            .withBody("{\"message\":\"" + message + "\"}");
    }

    public void answer(ResponseDefinitionBuilder response) {
        server.stubFor(post(urlEqualTo(SEND_EMAIL)).willReturn(response));
    }

    /** Answers in order, one per call; the last answer repeats. */
    public void answerInSequence(ResponseDefinitionBuilder... responses) {
        String scenario = "sequence";
        for (int i = 0; i < responses.length; i++) {
            String state = i == 0 ? com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED : "step-" + i;
            String next = i == responses.length - 1 ? state : "step-" + (i + 1);
            server.stubFor(post(urlEqualTo(SEND_EMAIL)).inScenario(scenario).whenScenarioStateIs(state)
                .willReturn(responses[i]).willSetStateTo(next));
        }
    }

    public List<LoggedRequest> sendEmailRequests() {
        return server.findAll(WireMock.postRequestedFor(urlEqualTo(SEND_EMAIL)));
    }

    public void verify(int count, RequestPatternBuilder pattern) {
        server.verify(count, pattern);
    }

    @Override
    public void close() {
        server.stop();
    }
}
