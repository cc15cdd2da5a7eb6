package dev.krafter.relay.clients;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;

/**
 * Amazon SES v2 as the relay sees it: {@code POST /v2/email/outbound-emails} answers with a fresh
 * MessageId; every SendEmail request the relay made can be read back as a {@link Delivery}.
 */
final class SesStandIn implements AutoCloseable {
    static final String SEND_EMAIL_PATH = "/v2/email/outbound-emails";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final WireMockServer server;

    SesStandIn() {
        server = new WireMockServer(wireMockConfig().bindAddress("127.0.0.1").dynamicPort());
        server.start();
        server.stubFor(post(urlPathEqualTo(SEND_EMAIL_PATH))
            .willReturn(okJson("{\"MessageId\":\"ses-{{randomValue type='UUID'}}\"}").withTransformers("response-template")));
    }

    String baseUrl() {
        return server.baseUrl();
    }

    /** Every SendEmail request so far whose raw message contains {@code token}. */
    List<Delivery> containing(String token) {
        byte[] needle = token.getBytes(StandardCharsets.US_ASCII);
        List<Delivery> found = new ArrayList<>();
        for (ServeEvent event : server.getAllServeEvents()) {
            if (!event.getRequest().getUrl().startsWith(SEND_EMAIL_PATH)) {
                continue;
            }
            try {
                Delivery delivery = Delivery.parse(JSON.readTree(event.getRequest().getBodyAsString()));
                if (Delivery.indexOf(delivery.raw(), needle) >= 0) {
                    found.add(delivery);
                }
            } catch (java.io.IOException e) {
                throw new AssertionError("SES stand-in received a body that is not JSON: " + event.getRequest().getBodyAsString(), e);
            }
        }
        return found;
    }

    /**
     * Waits for the one SendEmail request whose message contains {@code token}: normally well under a
     * second after the 250; 12 s at most, less than SesSend's first retry waits (15-30 s), so a message
     * that needed a retry shows up as a failure here rather than as a slow pass.
     */
    Delivery awaitDelivery(String token) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(12).toNanos();
        List<Delivery> found = containing(token);
        while (found.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
            found = containing(token);
        }
        if (found.size() != 1) {
            throw new AssertionError(found.size() + " SendEmail requests with " + token + " (expected exactly 1)");
        }
        return found.get(0);
    }

    @Override
    public void close() {
        server.stop();
    }
}
