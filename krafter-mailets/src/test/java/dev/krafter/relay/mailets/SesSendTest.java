package dev.krafter.relay.mailets;

import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.krafter.relay.mailets.HeaderMailetsTest.BODY;
import static dev.krafter.relay.mailets.HeaderMailetsTest.HEAD;
import static dev.krafter.relay.mailets.HeaderMailetsTest.HEAD_WITHOUT_KRAFTER;
import static dev.krafter.relay.mailets.HeaderMailetsTest.mailet;
import static dev.krafter.relay.mailets.TestMails.ascii;
import static dev.krafter.relay.ses.SesStandIn.SEND_EMAIL;
import static dev.krafter.relay.ses.SesStandIn.error;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.UUID;

import javax.mail.MessagingException;

import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.MailetException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.krafter.relay.events.TestEvents;
import dev.krafter.relay.db.Database;
import dev.krafter.relay.db.DatabaseSettings;
import dev.krafter.relay.db.TestDatabase;
import dev.krafter.relay.policy.ConfigurationSets;
import dev.krafter.relay.policy.Stream;
import dev.krafter.relay.emails.DeliveryRecords;
import dev.krafter.relay.emails.EmailRows;
import dev.krafter.relay.ses.SesGateway;
import dev.krafter.relay.ses.SesStandIn;
import software.amazon.awssdk.services.sesv2.SesV2Client;

/**
 * SesSend as the pipeline runs it: real SDK against the WireMock stand-in, real email records in
 * PostgreSQL, James's queue replaced by a recording fake.
 */
class SesSendTest {
    private static TestDatabase db;
    private static SesStandIn ses;
    private static SesV2Client client;
    private static DeliveryRecords records;
    private static EmailRows rows;

    private RecordingMailQueueFactory queues;

    @BeforeAll
    static void start() {
        db = TestDatabase.create();
        records = new DeliveryRecords(db.database().dataSource());
        rows = new EmailRows(db.database().dataSource());
        ses = new SesStandIn();
        // No SDK retry here: every SES answer reaches the mailet, so the queue retries are visible.
        client = ses.client(ses.settings().withSdkMaxAttempts(1));
    }

    @AfterAll
    static void stop() {
        client.close();
        ses.close();
        db.close();
    }

    @BeforeEach
    void queue() {
        queues = new RecordingMailQueueFactory();
    }

    @AfterEach
    void reset() {
        ses.reset();
    }

    @Test
    void transactionalBytesAtSesAreTheClientsMessageMinusKrafterHeaders() throws Exception {
        ses.acceptAll("ses-tx-1");
        UUID id = rows.insertQueued("transactional");
        MailImpl mail = mail(id, "transactional", false, HEAD + BODY);

        pipeline(mail);

        ses.verify(1, postRequestedFor(urlEqualTo(SEND_EMAIL))
            .withRequestBody(matchingJsonPath("$.Content.Raw.Data", equalTo(base64(HEAD_WITHOUT_KRAFTER + BODY)))));
        assertThat(rows.read(id)).isEqualTo(new EmailRows.Row("sent", "ses-tx-1", null, 0, true));
        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
        assertThat(queues.spool().enqueued()).isEmpty();
    }

    @Test
    void broadcastBytesAtSesAlsoCarryListUnsubscribe() throws Exception {
        ses.acceptAll("ses-bc-1");
        UUID id = rows.insertQueued("broadcast");
        MailImpl mail = mail(id, "broadcast", true, HEAD + BODY);

        pipeline(mail);

        String expected = HEAD_WITHOUT_KRAFTER
            + "List-Unsubscribe: <mailto:unsubscribe@krafter.dev?subject=unsubscribe-" + id + ">,\r\n"
            + " <https://unsubscribe.krafter.dev/u/" + id + ">\r\n"
            + "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
            + BODY;
        ses.verify(1, postRequestedFor(urlEqualTo(SEND_EMAIL))
            .withRequestBody(matchingJsonPath("$.Content.Raw.Data", equalTo(base64(expected)))));
        assertThat(rows.read(id).status()).isEqualTo("sent");
    }

    @ParameterizedTest
    @CsvSource({"TRANSACTIONAL,false", "TRANSACTIONAL,true", "BROADCAST,true", "BROADCAST,false"})
    void theConfigurationSetOfEachStreamAndTrackingAndTheTagsReachSes(Stream stream, boolean tracking) throws Exception {
        ses.acceptAll("ses-cs");
        UUID id = rows.insertQueued(stream.wireName());
        String configurationSet = ConfigurationSets.DEFAULTS.select(stream, tracking);
        MailImpl mail = TestMails.mail(ascii(HEAD_WITHOUT_KRAFTER + BODY), id, stream.wireName(), configurationSet, false,
            "sender@example.com", List.of("to@example.net"));
        mail.setAttribute(new Attribute(KrafterAttributes.TRACKING, AttributeValue.of(tracking)));

        QueueDone.serviceAndComplete(db.database().dataSource(), sesSend(new Properties()), mail);

        ses.verify(1, postRequestedFor(urlEqualTo(SEND_EMAIL))
            .withRequestBody(matchingJsonPath("$.ConfigurationSetName", equalTo(configurationSet)))
            .withRequestBody(matchingJsonPath("$.FromEmailAddress", equalTo("sender@example.com")))
            .withRequestBody(matchingJsonPath("$.EmailTags[0].Name", equalTo("email_id")))
            .withRequestBody(matchingJsonPath("$.EmailTags[0].Value", equalTo(id.toString())))
            .withRequestBody(matchingJsonPath("$.EmailTags[1].Name", equalTo("stream")))
            .withRequestBody(matchingJsonPath("$.EmailTags[1].Value", equalTo(stream.wireName()))));
    }

    @Test
    void bccOnlyRecipientsReachSes() throws Exception {
        ses.acceptAll("ses-bcc");
        UUID id = rows.insertQueued("transactional");
        String message = "From: sender@example.com\r\nTo: to@example.net\r\nSubject: bcc\r\n\r\nhi\r\n";
        MailImpl mail = TestMails.mail(ascii(message), id, "transactional", "cs", false, "sender@example.com",
            List.of("to@example.net", "hidden@example.org"));

        QueueDone.serviceAndComplete(db.database().dataSource(), sesSend(new Properties()), mail);

        ses.verify(1, postRequestedFor(urlEqualTo(SEND_EMAIL))
            .withRequestBody(matchingJsonPath("$.Destination.BccAddresses[0]", equalTo("to@example.net")))
            .withRequestBody(matchingJsonPath("$.Destination.BccAddresses[1]", equalTo("hidden@example.org")))
            .withRequestBody(matchingJsonPath("$.Content.Raw.Data", equalTo(base64(message)))));
    }

    @Test
    void throttledThenAcceptedIsSentOnceThroughTheQueue() throws Exception {
        ses.answerInSequence(error(429, "TooManyRequestsException", "Maximum sending rate exceeded."),
            okJson("{\"MessageId\":\"ses-after-429\"}"));
        UUID id = rows.insertQueued("transactional");
        MailImpl mail = mail(id, "transactional", false, HEAD_WITHOUT_KRAFTER + BODY);
        SesSend mailet = sesSend(new Properties());

        QueueDone.serviceAndComplete(db.database().dataSource(), mailet, mail);

        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
        RecordingMailQueueFactory.Enqueued retry = queues.spool().enqueued().get(0);
        assertThat(retry.delay()).isBetween(Duration.ofSeconds(15), Duration.ofSeconds(30));
        assertThat(retry.mail().getState()).isEqualTo("ses");
        assertThat(retry.mail().getAttribute(DeliveryMailet.ATTEMPT)).contains(new Attribute(DeliveryMailet.ATTEMPT, AttributeValue.of(1)));
        assertThat(rows.read(id)).isEqualTo(new EmailRows.Row("queued", null,
            "TooManyRequestsException: Maximum sending rate exceeded.", 1, false));

        QueueDone.serviceAndComplete(db.database().dataSource(), mailet, retry.mail());

        assertThat(rows.read(id)).isEqualTo(new EmailRows.Row("sent", "ses-after-429", null, 1, true));
        assertThat(queues.spool().enqueued()).hasSize(1);
        ses.verify(2, postRequestedFor(urlEqualTo(SEND_EMAIL))
            .withRequestBody(matchingJsonPath("$.Content.Raw.Data", equalTo(base64(HEAD_WITHOUT_KRAFTER + BODY)))));
    }

    @Test
    void serverErrorsForAWhileAreRetriedWithGrowingDelaysThenSent() throws Exception {
        ses.answerInSequence(error(500, "InternalServiceErrorException", "boom"), error(500, "InternalServiceErrorException", "boom"),
            error(503, "ServiceUnavailable", "later"), okJson("{\"MessageId\":\"ses-after-5xx\"}"));
        UUID id = rows.insertQueued("transactional");
        SesSend mailet = sesSend(new Properties());

        Mail current = mail(id, "transactional", false, HEAD_WITHOUT_KRAFTER + BODY);
        for (int retry = 1; retry <= 3; retry++) {
            QueueDone.serviceAndComplete(db.database().dataSource(), mailet, current);
            List<RecordingMailQueueFactory.Enqueued> enqueued = queues.spool().enqueued();
            assertThat(enqueued).hasSize(retry);
            Duration nominal = Duration.ofSeconds(30L << (retry - 1));
            assertThat(enqueued.get(retry - 1).delay()).isBetween(nominal.dividedBy(2), nominal);
            current = enqueued.get(retry - 1).mail();
        }
        QueueDone.serviceAndComplete(db.database().dataSource(), mailet, current);

        assertThat(rows.read(id)).isEqualTo(new EmailRows.Row("sent", "ses-after-5xx", null, 3, true));
        assertThat(current.getState()).isEqualTo(Mail.GHOST);
        ses.verify(4, postRequestedFor(urlEqualTo(SEND_EMAIL)));
    }

    @Test
    void messageRejectedFailsWithSesReasonAndIsNotRetried() throws Exception {
        ses.answer(error(400, "MessageRejected", "Email address is not verified. The following identities failed the check"));
        UUID id = rows.insertQueued("transactional");
        MailImpl mail = mail(id, "transactional", false, HEAD_WITHOUT_KRAFTER + BODY);

        QueueDone.serviceAndComplete(db.database().dataSource(), sesSend(new Properties()), mail);

        assertThat(rows.read(id)).isEqualTo(new EmailRows.Row("failed", null,
            "MessageRejected: Email address is not verified. The following identities failed the check", 0, false));
        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
        assertThat(queues.spool().enqueued()).isEmpty();
        ses.verify(1, postRequestedFor(urlEqualTo(SEND_EMAIL)));
    }

    @Test
    void afterMaxRetriesTheRecordIsFailed() throws Exception {
        ses.answer(error(500, "InternalServiceErrorException", "still broken"));
        UUID id = rows.insertQueued("transactional");
        Properties parameters = new Properties();
        parameters.setProperty("maxRetries", "2");
        parameters.setProperty("initialDelay", "1s");
        parameters.setProperty("maxDelay", "2s");
        SesSend mailet = sesSend(parameters);

        Mail current = mail(id, "transactional", false, HEAD_WITHOUT_KRAFTER + BODY);
        QueueDone.serviceAndComplete(db.database().dataSource(), mailet, current);
        QueueDone.serviceAndComplete(db.database().dataSource(), mailet, queues.spool().enqueued().get(0).mail());
        Mail last = queues.spool().enqueued().get(1).mail();
        QueueDone.serviceAndComplete(db.database().dataSource(), mailet, last);

        assertThat(queues.spool().enqueued()).hasSize(2);
        assertThat(last.getState()).isEqualTo(Mail.GHOST);
        assertThat(rows.read(id)).isEqualTo(new EmailRows.Row("failed", null,
            "gave up after 2 retries: InternalServiceErrorException: still broken", 2, false));
        ses.verify(3, postRequestedFor(urlEqualTo(SEND_EMAIL)));
    }

    @Test
    void anAlreadySentRecordIsNotSentAgain() throws Exception {
        ses.acceptAll("ses-duplicate");
        UUID id = rows.insertQueued("transactional");
        records.markSent(id, "ses-first");
        MailImpl redelivered = mail(id, "transactional", false, HEAD_WITHOUT_KRAFTER + BODY);

        QueueDone.serviceAndComplete(db.database().dataSource(), sesSend(new Properties()), redelivered);

        assertThat(redelivered.getState()).isEqualTo(Mail.GHOST);
        assertThat(rows.read(id).sesMessageId()).isEqualTo("ses-first");
        ses.verify(0, postRequestedFor(urlEqualTo(SEND_EMAIL)));
        assertThat(queues.spool().enqueued()).isEmpty();
    }

    @Test
    void theStatusTheLeaseReadIsUsedInsteadOfASecondReadAndIsNotKeptForTheNextLease() throws Exception {
        ses.acceptAll("ses-after-lease");
        UUID id = rows.insertQueued("transactional");
        MailImpl leasedAsSent = mail(id, "transactional", false, HEAD_WITHOUT_KRAFTER + BODY);
        // The lease's reading, not the table's (queued), decides: no second read before the send.
        leasedAsSent.setAttribute(new Attribute(DeliveryOutcome.RECORD_STATUS, AttributeValue.of("sent")));

        QueueDone.serviceAndComplete(db.database().dataSource(), sesSend(new Properties()), leasedAsSent);

        ses.verify(0, postRequestedFor(urlEqualTo(SEND_EMAIL)));
        assertThat(leasedAsSent.getState()).isEqualTo(Mail.GHOST);
        assertThat(leasedAsSent.getAttribute(DeliveryOutcome.RECORD_STATUS)).isEmpty();

        MailImpl leasedAsQueued = mail(id, "transactional", false, HEAD_WITHOUT_KRAFTER + BODY);
        leasedAsQueued.setAttribute(new Attribute(DeliveryOutcome.RECORD_STATUS, AttributeValue.of("queued")));
        QueueDone.serviceAndComplete(db.database().dataSource(), sesSend(new Properties()), leasedAsQueued);
        ses.verify(1, postRequestedFor(urlEqualTo(SEND_EMAIL)));
        assertThat(rows.read(id).status()).isEqualTo("sent");
    }

    @Test
    void aMailWhoseRecordIsNotVisibleYetWaitsInTheQueueInsteadOfBeingSent() throws Exception {
        ses.acceptAll("ses-early");
        UUID id = UUID.randomUUID();
        MailImpl early = mail(id, "transactional", false, HEAD_WITHOUT_KRAFTER + BODY);

        QueueDone.serviceAndComplete(db.database().dataSource(), sesSend(new Properties()), early);

        ses.verify(0, postRequestedFor(urlEqualTo(SEND_EMAIL)));
        assertThat(queues.spool().enqueued()).hasSize(1);
        assertThat(early.getState()).isEqualTo(Mail.GHOST);
    }

    @Test
    void anUnreachableDatabaseBeforeTheSendLeavesTheMailQueuedWithoutSendingOrCountingARetry() throws Exception {
        ses.acceptAll("ses-db-down");
        try (Database dead = Database.connect(new DatabaseSettings("jdbc:postgresql://127.0.0.1:1/none", "x", "y", 1, 250, 1))) {
            SesSend mailet = mailet(new SesSend(new SesGateway(client), new DeliveryRecords(dead.dataSource()), queues, new TestEvents().events(),
                new SplittableRandom(3)), new Properties());
            MailImpl mail = mail(UUID.randomUUID(), "transactional", false, HEAD_WITHOUT_KRAFTER + BODY);

            QueueDone.serviceAndComplete(db.database().dataSource(), mailet, mail);

            ses.verify(0, postRequestedFor(urlEqualTo(SEND_EMAIL)));
            assertThat(queues.spool().enqueued()).isEmpty(); // no retry scheduled, none counted
            assertThat(mail.getState()).isEqualTo(Mail.GHOST);
            // The queue keeps the mail as it was and offers it again shortly.
            assertThat(new DeliveryOutcome().postpone(mail)).contains(DeliveryOutcome.UNFINISHED_AGAIN_AFTER);
        }
    }

    @Test
    void retryProcessorOverridesWhereARetryReEnters() throws Exception {
        ses.answer(error(500, "InternalServiceErrorException", "boom"));
        UUID id = rows.insertQueued("transactional");
        Properties parameters = new Properties();
        parameters.setProperty("retryProcessor", "ses-retry");

        QueueDone.serviceAndComplete(db.database().dataSource(), sesSend(parameters), mail(id, "transactional", false, HEAD_WITHOUT_KRAFTER + BODY));

        assertThat(queues.spool().enqueued().get(0).mail().getState()).isEqualTo("ses-retry");
    }

    @Test
    void aMailWithoutEmailIdGoesToTheErrorProcessor() throws Exception {
        MailImpl mail = mail(UUID.randomUUID(), "transactional", false, HEAD_WITHOUT_KRAFTER + BODY);
        mail.removeAttribute(KrafterAttributes.EMAIL_ID);

        assertThatThrownBy(() -> sesSend(new Properties()).service(mail)).isInstanceOf(MailetException.class);
        ses.verify(0, postRequestedFor(urlEqualTo(SEND_EMAIL)));
    }

    @Test
    void refusesUnknownOrInvalidParameters() {
        Properties typo = new Properties();
        typo.setProperty("maxRetry", "3");
        assertThatThrownBy(() -> sesSend(typo)).isInstanceOf(MessagingException.class);
        Properties invalid = new Properties();
        invalid.setProperty("maxDelay", "1s");
        invalid.setProperty("initialDelay", "1m");
        assertThatThrownBy(() -> sesSend(invalid)).isInstanceOf(MessagingException.class);
        Properties noBudget = new Properties();
        noBudget.setProperty("maxBytesInFlight", "0");
        assertThatThrownBy(() -> sesSend(noBudget)).isInstanceOf(MessagingException.class)
            .hasMessageContaining("maxBytesInFlight");
    }

    @Test
    void aMessageLargerThanTheByteBudgetIsStillSent() throws Exception {
        ses.acceptAll("ses-over-budget");
        UUID id = rows.insertQueued("transactional");
        Properties small = new Properties();
        small.setProperty("maxBytesInFlight", "1K");

        QueueDone.serviceAndComplete(db.database().dataSource(), sesSend(small), mail(id, "transactional", false, HEAD_WITHOUT_KRAFTER + BODY + "x".repeat(4096) + "\r\n"));

        ses.verify(1, postRequestedFor(urlEqualTo(SEND_EMAIL)));
    }

    @Test
    void theNullSenderLeavesFromEmailAddressToTheFromHeader() throws Exception {
        ses.acceptAll("ses-null-sender");
        UUID id = rows.insertQueued("transactional");
        MailImpl mail = mail(id, "transactional", false, HEAD_WITHOUT_KRAFTER + BODY);
        mail.setSender(null);

        QueueDone.serviceAndComplete(db.database().dataSource(), sesSend(new Properties()), mail);

        ses.verify(1, postRequestedFor(urlEqualTo(SEND_EMAIL)).withRequestBody(matchingJsonPath("$.FromEmailAddress", absent())));
    }

    private void pipeline(Mail mail) throws MessagingException {
        Properties unsubscribe = new Properties();
        unsubscribe.setProperty("mailto", "mailto:unsubscribe@krafter.dev?subject=unsubscribe-{emailId}");
        unsubscribe.setProperty("url", "https://unsubscribe.krafter.dev/u/{emailId}");
        mailet(new RemoveKrafterHeaders(), new Properties()).service(mail);
        mailet(new AddListUnsubscribe(), unsubscribe).service(mail);
        QueueDone.serviceAndComplete(db.database().dataSource(), sesSend(new Properties()), mail);
    }

    private SesSend sesSend(Properties parameters) throws MessagingException {
        return mailet(new SesSend(new SesGateway(client), records, queues, new TestEvents().events(), new SplittableRandom(11)), parameters);
    }

    private static MailImpl mail(UUID id, String stream, boolean listUnsubscribe, String message) throws MessagingException {
        return TestMails.mail(ascii(message), id, stream, "krafter-" + stream, listUnsubscribe, "sender@example.com",
            List.of("to@example.net"));
    }

    private static String base64(String message) {
        return Base64.getEncoder().encodeToString(ascii(message));
    }
}
