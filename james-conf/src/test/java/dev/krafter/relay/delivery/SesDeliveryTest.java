package dev.krafter.relay.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.krafter.relay.emails.EmailRecord;
import dev.krafter.relay.emails.EmailRecords;
import dev.krafter.relay.server.RelayFixture;
import dev.krafter.relay.server.SmtpsClient;
import dev.krafter.relay.ses.SesStandIn;

/** End to end: a real relay, the real AWS SDK, SES v2 played by WireMock on loopback. */
class SesDeliveryTest {
    private static SesStandIn ses;
    private static RelayFixture relay;
    private static String key;
    private static EmailRecords records;

    @BeforeAll
    static void start() throws Exception {
        ses = SesStandIn.accepting();
        relay = RelayFixture.start(ses.relayEnv());
        key = relay.newKey("acme");
        records = new EmailRecords(relay.database().database().dataSource());
    }

    @AfterAll
    static void stop() throws Exception {
        relay.close();
        ses.close();
    }

    @BeforeEach
    void sesAccepts() {
        ses.accept();
    }

    @Test
    void sesGetsTheClientsBytesMinusKrafterAndBccHeadersAndTheEnvelopeRecipients() throws Exception {
        String message = "From: Hello <hello@yourdomain.com>\r\n"
            + "To: recipient@example.com\r\n"
            + "Bcc: hidden@example.org\r\n"
            + "X-Krafter-Stream: transactional\r\n"
            + "X-Krafter-Tracking-Enabled: false\r\n"
            + "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n"
            + "Message-ID: <exact-1@yourdomain.com>\r\n"
            + "X-Custom:   spaces  kept\r\n"
            + "\tand a folded line\r\n"
            + "\r\n"
            + "Body line one.\r\n"
            + ".leading dot\r\n"
            + "\r\n"
            + "last line without anything special\r\n";
        String id = send(List.of("recipient@example.com", "hidden@example.org"), message);

        SesStandIn.Call call = awaitSent(id);
        assertThat(new String(call.raw(), StandardCharsets.UTF_8)).isEqualTo(message
            .replace("Bcc: hidden@example.org\r\n", "")
            .replace("X-Krafter-Stream: transactional\r\n", "")
            .replace("X-Krafter-Tracking-Enabled: false\r\n", ""));
        assertThat(call.destinations()).containsExactlyInAnyOrder("recipient@example.com", "hidden@example.org");
        assertThat(call.request().path("FromEmailAddress").asText()).isEqualTo("hello@yourdomain.com");
        assertThat(call.request().path("ConfigurationSetName").asText()).isEqualTo("krafter-transactional");
        assertThat(call.request().path("EmailTags").toString()).contains("\"stream\"", "\"transactional\"");
        EmailRecord record = awaitStatus(id, "sent");
        assertThat(record.sesMessageId()).startsWith("ses-");
    }

    @Test
    void headersSesWouldActOnAreRemovedAndTheRelaysConfigurationSetAndTagsApply() throws Exception {
        String kept = "From: hello@yourdomain.com\r\nTo: recipient@example.com\r\nSubject: ses headers\r\n";
        String message = "X-SES-CONFIGURATION-SET: attacker-set\r\n"
            + kept
            + "X-SES-MESSAGE-TAGS: campaign=evil\r\n"
            + "x-ses-source-arn: arn:aws:ses:us-east-1:000000000000:identity/evil.example\r\n"
            + "\r\nhi\r\n";
        String id = send(List.of("recipient@example.com"), message);

        SesStandIn.Call call = awaitSent(id);
        assertThat(new String(call.raw(), StandardCharsets.UTF_8)).isEqualTo(kept + "\r\nhi\r\n");
        assertThat(call.request().path("ConfigurationSetName").asText()).isEqualTo("krafter-transactional");
        assertThat(call.request().path("EmailTags").toString()).doesNotContain("campaign", "evil");
    }

    @Test
    void broadcastGetsListUnsubscribeAndEachStreamTrackingPairItsConfigurationSet() throws Exception {
        String[][] cases = {
            {"", "", "krafter-transactional"},
            {"transactional", "true", "krafter-transactional-tracked"},
            {"broadcast", "", "krafter-broadcast"},
            {"broadcast", "FALSE", "krafter-broadcast-untracked"},
        };
        for (String[] c : cases) {
            String headers = (c[0].isEmpty() ? "" : "X-Krafter-Stream: " + c[0] + "\r\n")
                + (c[1].isEmpty() ? "" : "X-Krafter-Tracking-Enabled: " + c[1] + "\r\n");
            String id = send(List.of("recipient@example.com"),
                "From: hello@yourdomain.com\r\nTo: recipient@example.com\r\n" + headers + "Subject: " + c[2] + "\r\n\r\nhi\r\n");
            SesStandIn.Call call = awaitSent(id);
            assertThat(call.request().path("ConfigurationSetName").asText()).as(c[0] + "/" + c[1]).isEqualTo(c[2]);
            String raw = new String(call.raw(), StandardCharsets.UTF_8);
            assertThat(raw).doesNotContainIgnoringCase("X-Krafter-");
            if (c[0].equals("broadcast")) {
                assertThat(raw).contains("List-Unsubscribe: <mailto:unsubscribe@krafter.dev?subject=unsubscribe-" + id + ">",
                    "<https://unsubscribe.krafter.dev/u/" + id + ">", "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
            } else {
                assertThat(raw).doesNotContain("List-Unsubscribe");
            }
        }
    }

    @Test
    void throttlingThenSuccessDeliversExactlyOnce() throws Exception {
        ses.failFirst(3, 429, "TooManyRequestsException");
        String id = send(List.of("recipient@example.com"), "Subject: throttled\r\n\r\nretry me\r\n");

        awaitStatus(id, "sent");
        List<SesStandIn.Call> calls = ses.callsFor(id);
        assertThat(calls.stream().filter(SesStandIn.Call::accepted)).hasSize(1);
        assertThat(calls).hasSize(4);
        assertThat(records.find(UUID.fromString(id)).orElseThrow().sesMessageId()).isEqualTo("ses-after-retry");
    }

    @Test
    void serverErrorsForAWhileAreRetriedThroughTheQueueThenSent() throws Exception {
        ses.fail(500, "InternalFailure", "We encountered an internal error.");
        String id = send(List.of("recipient@example.com"), "Subject: outage\r\n\r\nwait for it\r\n");
        ses.await(calls -> calls.stream().filter(c -> c.emailId().equals(id)).count() >= 3, Duration.ofSeconds(60));
        assertThat(records.find(UUID.fromString(id)).orElseThrow().status()).isEqualTo("queued");

        ses.accept();
        EmailRecord record = awaitStatus(id, "sent");
        assertThat(record.attempts()).isGreaterThanOrEqualTo(1);
        assertThat(ses.callsFor(id).stream().filter(SesStandIn.Call::accepted)).hasSize(1);
    }

    @Test
    void messageRejectedFailsWithSesReasonAndIsNotRetried() throws Exception {
        ses.fail(400, "MessageRejected", "Email address is not verified. The following identities failed the check");
        String id = send(List.of("recipient@example.com"), "Subject: rejected\r\n\r\nno\r\n");

        EmailRecord record = awaitStatus(id, "failed");
        assertThat(record.error()).contains("MessageRejected", "Email address is not verified");
        Thread.sleep(3_000); // longer than the retry delay: a retry would show up here
        assertThat(ses.callsFor(id)).hasSize(1);
    }

    @Test
    void a25MiBMessageArrivesIntact() throws Exception {
        byte[] message = dev.krafter.relay.server.TestMessages.ofSize(26_214_400);
        String reply;
        try (SmtpsClient smtp = relay.connect().login(key)) {
            reply = smtp.send("hello@yourdomain.com", List.of("recipient@example.com"), message);
        }
        assertThat(reply).startsWith("250 2.0.0 OK id=");
        String id = reply.substring(reply.indexOf("id=") + 3).trim();
        SesStandIn.Call call = ses.await(calls -> calls.stream().anyMatch(c -> c.emailId().equals(id) && c.accepted()),
            Duration.ofSeconds(120)).stream().filter(c -> c.emailId().equals(id)).findFirst().orElseThrow();
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        assertThat(sha.digest(call.raw())).isEqualTo(MessageDigest.getInstance("SHA-256").digest(message));
    }

    private static String send(List<String> rcpts, String message) throws Exception {
        try (SmtpsClient smtp = relay.connect().login(key)) {
            String reply = smtp.send("hello@yourdomain.com", rcpts, message.getBytes(StandardCharsets.UTF_8));
            assertThat(reply).startsWith("250 2.0.0 OK id=");
            return reply.substring(reply.indexOf("id=") + 3).trim();
        }
    }

    private static SesStandIn.Call awaitSent(String id) throws InterruptedException {
        return ses.await(calls -> calls.stream().anyMatch(c -> c.emailId().equals(id) && c.accepted()), Duration.ofSeconds(60))
            .stream().filter(c -> c.emailId().equals(id) && c.accepted()).findFirst().orElseThrow();
    }

    private static EmailRecord awaitStatus(String id, String status) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        EmailRecord record = records.find(UUID.fromString(id)).orElseThrow();
        while (!record.status().equals(status)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("email " + id + " is " + record.status() + ", not " + status + ": " + record.error());
            }
            Thread.sleep(50);
            record = records.find(UUID.fromString(id)).orElseThrow();
        }
        return record;
    }
}
