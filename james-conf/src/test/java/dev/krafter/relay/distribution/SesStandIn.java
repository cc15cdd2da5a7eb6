package dev.krafter.relay.distribution;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;

/** SES v2 SendEmail on loopback (WireMock); the relay process reaches it through KRAFTER_SES_ENDPOINT. */
final class SesStandIn implements AutoCloseable {
    private static final String SEND_EMAIL = "/v2/email/outbound-emails";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One SendEmail request: its configuration set and the raw message. */
    record SendEmail(String configurationSet, String raw) {
    }

    private final WireMockServer server = new WireMockServer(wireMockConfig().bindAddress("127.0.0.1").dynamicPort());

    SesStandIn() {
        server.start();
        server.stubFor(post(urlPathEqualTo(SEND_EMAIL))
            .willReturn(okJson("{\"MessageId\":\"ses-{{randomValue type='UUID'}}\"}").withTransformers("response-template")));
    }

    Map<String, String> relayEnv() {
        return Map.of("KRAFTER_SES_ENDPOINT", server.baseUrl(), "KRAFTER_SES_REGION", "eu-west-1",
            "AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY", "test-secret");
    }

    /** Waits (20 s at most) for the request whose email_id tag is {@code emailId}. */
    SendEmail await(String emailId) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            for (ServeEvent event : server.getAllServeEvents()) {
                if (!event.getRequest().getUrl().startsWith(SEND_EMAIL)) {
                    continue;
                }
                JsonNode request = JSON.readTree(event.getRequest().getBodyAsString());
                for (JsonNode tag : request.path("EmailTags")) {
                    if (tag.path("Name").asText().equals("email_id") && tag.path("Value").asText().equals(emailId)) {
                        byte[] raw = Base64.getDecoder().decode(request.path("Content").path("Raw").path("Data").asText());
                        return new SendEmail(request.path("ConfigurationSetName").asText(null),
                            new String(raw, StandardCharsets.UTF_8));
                    }
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no SendEmail for email " + emailId + " at the SES stand-in after 20 s");
    }

    @Override
    public void close() {
        server.stop();
    }
}
