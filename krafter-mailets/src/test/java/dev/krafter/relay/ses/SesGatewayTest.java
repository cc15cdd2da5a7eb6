package dev.krafter.relay.ses;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.krafter.relay.ses.SesStandIn.SEND_EMAIL;
import static dev.krafter.relay.ses.SesStandIn.error;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.github.tomakehurst.wiremock.http.Fault;

import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sesv2.SesV2Client;

/** The real SDK against the WireMock stand-in: request shape and the classification of SES's answers. */
class SesGatewayTest {
    private static SesStandIn ses;
    private static SesV2Client client;
    private static SesGateway gateway;

    private final byte[] raw = "From: a@example.com\r\nTo: b@example.net\r\nSubject: hi\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII);
    private final UUID id = UUID.randomUUID();

    @BeforeAll
    static void start() {
        ses = new SesStandIn();
        // One SDK attempt: each case below sees exactly one answer.
        client = ses.client(ses.settings().withSdkMaxAttempts(1).withTimeouts(Duration.ofSeconds(3), Duration.ofSeconds(6)));
        gateway = new SesGateway(client);
    }

    @AfterEach
    void reset() {
        ses.reset();
    }

    @AfterAll
    static void stop() {
        client.close();
        ses.close();
    }

    @Test
    void sendsTheRawBytesEnvelopeConfigurationSetAndTags() {
        ses.acceptAll("ses-message-1");

        SesOutcome outcome = gateway.send(new OutboundEmail(id, Optional.of("broadcast"), Optional.of("krafter-broadcast-tracking"),
            Optional.of("sender@example.com"), List.of("b@example.net", "hidden@example.org"), raw));

        assertThat(outcome).isEqualTo(new SesOutcome.Sent("ses-message-1"));
        ses.verify(1, postRequestedFor(urlEqualTo(SEND_EMAIL))
            .withRequestBody(matchingJsonPath("$.Content.Raw.Data", equalTo(Base64.getEncoder().encodeToString(raw))))
            .withRequestBody(matchingJsonPath("$.FromEmailAddress", equalTo("sender@example.com")))
            .withRequestBody(matchingJsonPath("$.Destination.BccAddresses[0]", equalTo("b@example.net")))
            .withRequestBody(matchingJsonPath("$.Destination.BccAddresses[1]", equalTo("hidden@example.org")))
            .withRequestBody(matchingJsonPath("$.Destination.ToAddresses", absent()))
            .withRequestBody(matchingJsonPath("$.ConfigurationSetName", equalTo("krafter-broadcast-tracking")))
            .withRequestBody(matchingJsonPath("$.EmailTags[0].Name", equalTo("email_id")))
            .withRequestBody(matchingJsonPath("$.EmailTags[0].Value", equalTo(id.toString())))
            .withRequestBody(matchingJsonPath("$.EmailTags[1].Name", equalTo("stream")))
            .withRequestBody(matchingJsonPath("$.EmailTags[1].Value", equalTo("broadcast")))
            .withHeader("Authorization", com.github.tomakehurst.wiremock.client.WireMock.containing("AKIDSTANDIN")));
    }

    @Test
    void theNullSenderAndAMissingConfigurationSetAreLeftOut() {
        ses.acceptAll("ses-message-2");

        gateway.send(new OutboundEmail(id, Optional.empty(), Optional.empty(), Optional.empty(), List.of("b@example.net"), raw));

        ses.verify(1, postRequestedFor(urlEqualTo(SEND_EMAIL))
            .withRequestBody(matchingJsonPath("$.FromEmailAddress", absent()))
            .withRequestBody(matchingJsonPath("$.ConfigurationSetName", absent()))
            .withRequestBody(matchingJsonPath("$.EmailTags[1]", absent())));
    }

    @Test
    void permanentRefusalsFailWithSesText() {
        assertOutcome(error(400, "MessageRejected", "Email address is not verified."),
            new SesOutcome.Failed("MessageRejected: Email address is not verified."));
        assertOutcome(error(400, "MailFromDomainNotVerifiedException", "MAIL FROM domain not verified."),
            new SesOutcome.Failed("MailFromDomainNotVerifiedException: MAIL FROM domain not verified."));
        assertOutcome(error(400, "AccountSuspendedException", "Account suspended."),
            new SesOutcome.Failed("AccountSuspendedException: Account suspended."));
        assertOutcome(error(404, "NotFoundException", "Configuration set <cs> does not exist."),
            new SesOutcome.Failed("NotFoundException: Configuration set <cs> does not exist."));
        assertOutcome(error(400, "BadRequestException", "Bad tag."), new SesOutcome.Failed("BadRequestException: Bad tag."));
        assertOutcome(error(400, "LimitExceededException", "Too many."), new SesOutcome.Failed("LimitExceededException: Too many."));
    }

    @Test
    void transientTroubleIsRetried() {
        assertOutcome(error(429, "TooManyRequestsException", "Maximum sending rate exceeded."),
            new SesOutcome.Retry("TooManyRequestsException: Maximum sending rate exceeded."));
        assertOutcome(error(400, "SendingPausedException", "Sending paused for this account."),
            new SesOutcome.Retry("SendingPausedException: Sending paused for this account."));
        assertOutcome(error(500, "InternalServiceErrorException", "Internal error."),
            new SesOutcome.Retry("InternalServiceErrorException: Internal error."));
        assertOutcome(aResponse().withStatus(503), new SesOutcome.Retry("HTTP 503"));
        assertOutcome(error(403, "UnrecognizedClientException", "The security token included in the request is invalid."),
            new SesOutcome.Retry("UnrecognizedClientException: The security token included in the request is invalid."));
    }

    @Test
    void anErrorWithoutSesErrorTypeIsHeldForAnOperator() {
        // What a wrong endpoint or a proxy answers: no x-amzn-ErrorType, no __type.
        assertOutcome(aResponse().withStatus(404).withBody("Not Found"), new SesOutcome.Retry("HTTP 404"));
        assertOutcome(aResponse().withStatus(400).withHeader("Content-Type", "text/html").withBody("<html>Bad Request</html>"),
            new SesOutcome.Retry("HTTP 400"));

        ses.reset();
        ses.answer(aResponse().withStatus(404).withBody("Not Found"));
        assertThatThrownBy(() -> client.sendEmail(email().request()))
            .isInstanceOfSatisfying(SdkException.class, e -> assertThat(SesFailureClassifier.needsOperator(e)).isTrue());

        ses.reset();
        ses.answer(aResponse().withStatus(503)); // a load balancer's passing trouble: retried, no alert
        assertThatThrownBy(() -> client.sendEmail(email().request()))
            .isInstanceOfSatisfying(SdkException.class, e -> assertThat(SesFailureClassifier.needsOperator(e)).isFalse());
    }

    @Test
    void timeoutsAndBrokenConnectionsAreRetried() {
        ses.answer(okJson("{\"MessageId\":\"late\"}").withFixedDelay(4000));
        assertThat(send()).isInstanceOf(SesOutcome.Retry.class);

        ses.reset();
        ses.answer(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER));
        assertThat(send()).isInstanceOf(SesOutcome.Retry.class);

        ses.reset();
        ses.answer(aResponse().withFault(Fault.EMPTY_RESPONSE));
        assertThat(send()).isInstanceOf(SesOutcome.Retry.class);
    }

    @Test
    void anUnreachableEndpointIsRetried() {
        SesSettings nowhere = SesSettings.defaults().withEndpoint(java.net.URI.create("http://127.0.0.1:1")).withRegion("eu-west-1")
            .withSdkMaxAttempts(1);
        try (SesV2Client unreachable = ses.client(nowhere)) {
            assertThat(new SesGateway(unreachable).send(email())).isInstanceOf(SesOutcome.Retry.class);
        }
    }

    @Test
    void withTheDefaultSdkAttemptsA429IsAbsorbedWithinTheCall() {
        ses.answerInSequence(error(429, "TooManyRequestsException", "Maximum sending rate exceeded."), okJson("{\"MessageId\":\"second\"}"));
        try (SesV2Client defaults = ses.client()) {
            assertThat(new SesGateway(defaults).send(email())).isEqualTo(new SesOutcome.Sent("second"));
        }
        ses.verify(2, postRequestedFor(urlEqualTo(SEND_EMAIL)));
    }

    private void assertOutcome(com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder answer, SesOutcome expected) {
        ses.reset();
        ses.answer(answer);
        assertThat(send()).isEqualTo(expected);
        ses.verify(1, postRequestedFor(urlEqualTo(SEND_EMAIL)));
    }

    private SesOutcome send() {
        return gateway.send(email());
    }

    private OutboundEmail email() {
        return new OutboundEmail(id, Optional.of("transactional"), Optional.of("cs"), Optional.of("sender@example.com"),
            List.of("b@example.net"), raw);
    }
}
