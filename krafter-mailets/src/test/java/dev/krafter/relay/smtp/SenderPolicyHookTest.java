package dev.krafter.relay.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;

import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.AttributeName;
import org.apache.mailet.Mail;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.krafter.relay.events.TestEvents;
import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.apikey.ApiKeyStore;
import dev.krafter.relay.db.Database;
import dev.krafter.relay.db.DatabaseSettings;
import dev.krafter.relay.db.TestDatabase;
import dev.krafter.relay.queue.TestSpool;
import dev.krafter.relay.submission.Submissions;
import dev.krafter.relay.mailets.KrafterAttributes;
import dev.krafter.relay.policy.ConfigurationSets;
import dev.krafter.relay.emails.EmailRecord;
import dev.krafter.relay.emails.EmailRecords;
import dev.krafter.relay.policy.SenderPolicy;

/** The end-of-DATA hook on a real PostgreSQL, with a recording spool in place of the PostgreSQL queue. */
class SenderPolicyHookTest {
    private static TestDatabase db;
    private static ApiKeyStore keys;
    private static EmailRecords records;
    private static final SenderPolicy POLICY = new SenderPolicy(ConfigurationSets.DEFAULTS);

    private TestSpool spool;
    private TestEvents events;
    private SenderPolicyHook hook;

    @BeforeAll
    static void start() {
        db = TestDatabase.create();
        keys = new ApiKeyStore(db.database().dataSource(), Duration.ZERO);
        records = new EmailRecords(db.database().dataSource());
    }

    @AfterAll
    static void stop() {
        db.close();
    }

    @BeforeEach
    void hook() {
        spool = new TestSpool(db);
        spool.execute("DELETE FROM mail_queue");
        events = new TestEvents();
        hook = new SenderPolicyHook(new Submissions(POLICY, records, spool.spool()), events.events());
    }

    @AfterEach
    void closeSpool() {
        spool.close();
    }

    private static ApiKey key(String account, String... streams) {
        return keys.create(account, Set.of(ApiKey.SEND_SCOPE), Set.of(streams), false).key();
    }

    /** A message with a Message-ID of its own (a repeated one would make it a resend). */
    private static Mail mail(String headers) throws Exception {
        return mail("<" + UUID.randomUUID() + "@yourdomain.com>", headers);
    }

    private static Mail mail(String messageId, String headers) throws Exception {
        String raw = "From: hello@yourdomain.com\r\nTo: recipient@example.com\r\nSubject: SMTP Test\r\n"
            + (messageId == null ? "" : "Message-ID: " + messageId + "\r\n") + headers
            + "\r\nThis email was sent via Krafter Mail SMTP relay.\r\n";
        MimeMessage message = new MimeMessage(Session.getInstance(new Properties()),
            new ByteArrayInputStream(raw.getBytes(StandardCharsets.US_ASCII)));
        return MailImpl.builder().name(UUID.randomUUID().toString()).sender("hello@yourdomain.com")
            .addRecipient("recipient@example.com").mimeMessage(message).build();
    }

    private static int emailsOf(String account) throws Exception {
        try (var c = db.database().dataSource().getConnection();
             var s = c.prepareStatement("SELECT count(*) FROM emails WHERE account_id = ?")) {
            s.setString(1, account);
            try (var rs = s.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    private static Object attribute(Mail mail, AttributeName name) {
        return mail.getAttribute(name).orElseThrow(() -> new AssertionError("no " + name)).getValue().value();
    }

    private static UUID acceptedId(HookResult result) {
        String line = Replies.line(result);
        assertThat(line).matches("250 2\\.0\\.0 OK id=[0-9a-f-]{36}");
        return UUID.fromString(line.substring(line.indexOf("id=") + 3));
    }

    @Test
    void noStreamHeaderIsQueuedAsTransactionalWithItsRecord() throws Exception {
        ApiKey key = key("hook-default", "transactional", "broadcast");
        UUID id = acceptedId(hook.onMessage(FakeSession.authenticated(key), mail("")));

        assertThat(spool.queued()).hasSize(1);
        Mail queued = spool.queued().get(0);
        assertThat(spool.rowsOf(id)).isOne();
        assertThat(attribute(queued, KrafterAttributes.EMAIL_ID)).isEqualTo(id.toString());
        assertThat(attribute(queued, KrafterAttributes.STREAM)).isEqualTo("transactional");
        assertThat(attribute(queued, KrafterAttributes.TRACKING)).isEqualTo(false);
        assertThat(attribute(queued, KrafterAttributes.CONFIGURATION_SET)).isEqualTo("krafter-transactional");
        assertThat(attribute(queued, KrafterAttributes.LIST_UNSUBSCRIBE)).isEqualTo(false);
        assertThat(attribute(queued, KrafterAttributes.KEY_PREFIX)).isEqualTo(key.prefix());

        EmailRecord record = records.find(id).orElseThrow();
        assertThat(record.status()).isEqualTo("queued");
        assertThat(record.stream()).isEqualTo("transactional");
        assertThat(record.envelopeFrom()).isEqualTo("hello@yourdomain.com");
        assertThat(record.envelopeTo()).containsExactly("recipient@example.com");
        assertThat(record.subject()).isEqualTo("SMTP Test");
        assertThat(record.messageId()).matches("<[0-9a-f-]{36}@yourdomain.com>");
        assertThat(record.sizeBytes()).isPositive();
    }

    @Test
    void broadcastWithTrackingOffGoesToTheUntrackedSetWithListUnsubscribe() throws Exception {
        ApiKey key = key("hook-broadcast", "broadcast");
        // Header names are case-insensitive; the folded value is unfolded by trimming.
        acceptedId(hook.onMessage(FakeSession.authenticated(key),
            mail("x-krafter-stream:\r\n broadcast\r\nX-KRAFTER-TRACKING-ENABLED: FALSE\r\n")));

        Mail queued = spool.queued().get(0);
        assertThat(attribute(queued, KrafterAttributes.STREAM)).isEqualTo("broadcast");
        assertThat(attribute(queued, KrafterAttributes.TRACKING)).isEqualTo(false);
        assertThat(attribute(queued, KrafterAttributes.CONFIGURATION_SET)).isEqualTo("krafter-broadcast-untracked");
        assertThat(attribute(queued, KrafterAttributes.LIST_UNSUBSCRIBE)).isEqualTo(true);
    }

    @Test
    void anUnknownStreamIs550AndNothingIsQueuedOrRecorded() throws Exception {
        ApiKey key = key("hook-unknown", "transactional", "broadcast");
        HookResult result = hook.onMessage(FakeSession.authenticated(key), mail("X-Krafter-Stream: marketing\r\n"));
        assertThat(Replies.line(result)).isEqualTo("550 5.7.1 unknown stream: marketing");
        assertThat(spool.queued()).isEmpty();
        assertThat(emailsOf("hook-unknown")).isZero();
        assertThat(events.count("krafter_smtp_rejected_invalid_stream")).isOne();
        assertThat(events.lines()).singleElement().asString().contains("\"outcome\":\"invalid_stream\"").doesNotContain("marketing");
    }

    @Test
    void conflictingStreamHeadersAre550() throws Exception {
        ApiKey key = key("hook-conflict", "transactional", "broadcast");
        HookResult result = hook.onMessage(FakeSession.authenticated(key),
            mail("X-Krafter-Stream: transactional\r\nX-Krafter-Stream: broadcast\r\n"));
        assertThat(Replies.line(result)).isEqualTo(
            "550 5.7.1 conflicting X-Krafter-Stream headers: 'transactional' and 'broadcast'; send exactly one");
        assertThat(spool.queued()).isEmpty();
    }

    @Test
    void aStreamOutsideAllowedStreamsIs550() throws Exception {
        ApiKey key = key("hook-not-allowed", "transactional");
        HookResult result = hook.onMessage(FakeSession.authenticated(key), mail("X-Krafter-Stream: broadcast\r\n"));
        assertThat(Replies.line(result)).isEqualTo("550 5.7.1 API key is not allowed to send on stream 'broadcast'");
        assertThat(spool.queued()).isEmpty();
        assertThat(events.count("krafter_smtp_rejected_stream_not_allowed")).isOne();
        assertThat(events.lines()).singleElement().asString()
            .contains("\"event\":\"smtp.rejected\"", "\"outcome\":\"stream_not_allowed\"", "\"stream\":\"broadcast\"");
    }

    @Test
    void aQueueRowThatCannotBeWrittenIs451AndLeavesNoRecord() throws Exception {
        ApiKey key = key("hook-queue-down", "transactional");
        spool.execute("ALTER TABLE mail_queue RENAME TO mail_queue_away");
        HookResult result;
        try {
            result = hook.onMessage(FakeSession.authenticated(key), mail(""));
        } finally {
            spool.execute("ALTER TABLE mail_queue_away RENAME TO mail_queue");
        }
        assertThat(Replies.line(result)).isEqualTo("451 Temporary failure, try again later");
        assertThat(emailsOf("hook-queue-down")).isZero();
        // The client's retry goes through, with a fresh record.
        acceptedId(hook.onMessage(FakeSession.authenticated(key), mail("")));
        assertThat(emailsOf("hook-queue-down")).isOne();
        // one decision each, counted and logged as such
        assertThat(events.count("krafter_smtp_deferred")).isOne();
        assertThat(events.count("krafter_smtp_accepted")).isOne();
        assertThat(events.registry().getTimers().get("krafter_smtp_decision_seconds").getCount()).isEqualTo(2);
        assertThat(events.lines()).hasSize(2);
        assertThat(events.lines().get(0)).contains("\"event\":\"smtp.deferred\"", "\"smtp_code\":451", "\"key_prefix\":\"" + key.prefix());
        assertThat(events.lines().get(1)).contains("\"event\":\"smtp.accepted\"", "\"stream\":\"transactional\"");
    }

    @Test
    void anUnreachableDatabaseIs451AndNothingIsQueued() throws Exception {
        try (Database dead = Database.connect(new DatabaseSettings("jdbc:postgresql://127.0.0.1:1/none", "x", "x", 1, 500, 1))) {
            SenderPolicyHook deadHook = new SenderPolicyHook(new Submissions(POLICY, new EmailRecords(dead.dataSource()),
                spool.spool()), new TestEvents().events());
            ApiKey key = key("hook-db-down", "transactional");
            HookResult result = deadHook.onMessage(FakeSession.authenticated(key), mail(""));
            assertThat(Replies.line(result)).isEqualTo("451 Temporary failure, try again later");
            assertThat(spool.queued()).isEmpty();
        }
    }

    @Test
    void theSandboxCapIs550OnceReached() throws Exception {
        ApiKey created = keys.create("hook-sandbox", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional"), true).key();
        ApiKey.Sandbox sandbox = new ApiKey.Sandbox(true, Set.of("recipient@example.com"), 2);
        keys.setSandbox("hook-sandbox", sandbox);
        ApiKey key = new ApiKey(created.id(), created.accountId(), created.prefix(), created.scopes(),
            created.allowedStreams(), false, sandbox);
        SMTPSession session = FakeSession.authenticated(key);
        acceptedId(hook.onMessage(session, mail("")));
        acceptedId(hook.onMessage(session, mail("")));
        assertThat(Replies.line(hook.onMessage(session, mail(""))))
            .isEqualTo("550 5.7.1 sandbox accounts may send at most 2 emails per rolling 24 hours; the limit is reached");
        assertThat(spool.queued()).hasSize(2);
        assertThat(emailsOf("hook-sandbox")).isEqualTo(2);
    }

    @Test
    void eachMessageOfAConnectionGetsItsOwnDecisionAndRecord() throws Exception {
        ApiKey key = key("hook-many", "transactional");
        SMTPSession session = FakeSession.authenticated(key);
        UUID first = acceptedId(hook.onMessage(session, mail("")));
        assertThat(Replies.line(hook.onMessage(session, mail("X-Krafter-Stream: nope\r\n"))))
            .startsWith("550 ");
        UUID second = acceptedId(hook.onMessage(session, mail("")));
        assertThat(first).isNotEqualTo(second);
        assertThat(records.find(first)).isPresent();
        assertThat(records.find(second)).isPresent();
    }

    @Test
    void withoutAnApiKeyTheMessageIs530() throws Exception {
        assertThat(Replies.line(hook.onMessage(FakeSession.unauthenticated(), mail(""))))
            .isEqualTo("530 5.7.0 Authentication required");
        assertThat(spool.queued()).isEmpty();
    }

    @Test
    void aResendWithTheSameMessageIdIsAnsweredWithTheFirstIdAndNotQueuedAgain() throws Exception {
        ApiKey key = key("hook-dedup", "transactional");
        SMTPSession session = FakeSession.authenticated(key);
        UUID first = acceptedId(hook.onMessage(session, mail("<same@yourdomain.com>", "")));
        String again = Replies.line(hook.onMessage(FakeSession.authenticated(key), mail("<same@yourdomain.com>", "")));
        assertThat(again).isEqualTo("250 2.0.0 OK id=" + first + " (duplicate of a message already accepted; not sent again)");
        assertThat(spool.queued()).hasSize(1);
        assertThat(emailsOf("hook-dedup")).isOne();
        assertThat(events.count("krafter_smtp_duplicate")).isOne();
        assertThat(events.lines().get(1)).contains("\"event\":\"smtp.duplicate\"", "\"email_id\":\"" + first + "\"");
        // The same body with another Message-ID is another message; so is the same Message-ID of another account.
        acceptedId(hook.onMessage(session, mail("<other@yourdomain.com>", "")));
        acceptedId(hook.onMessage(FakeSession.authenticated(key("hook-dedup-other", "transactional")), mail("<same@yourdomain.com>", "")));
        // Without Message-ID and key, never a duplicate.
        acceptedId(hook.onMessage(session, mail(null, "")));
        acceptedId(hook.onMessage(session, mail(null, "")));
        assertThat(emailsOf("hook-dedup")).isEqualTo(4);
    }

    @Test
    void theExplicitIdempotencyKeyWinsOverTheMessageId() throws Exception {
        ApiKey key = key("hook-key", "transactional");
        SMTPSession session = FakeSession.authenticated(key);
        UUID first = acceptedId(hook.onMessage(session, mail("<a@yourdomain.com>", "X-Krafter-Idempotency-Key: order-4711\r\n")));
        // another Message-ID, the same key: a duplicate
        assertThat(Replies.line(hook.onMessage(session, mail("<b@yourdomain.com>", "X-Krafter-Idempotency-Key: order-4711\r\n"))))
            .startsWith("250 2.0.0 OK id=" + first + " (duplicate");
        // the same Message-ID, another key: a message of its own
        acceptedId(hook.onMessage(session, mail("<a@yourdomain.com>", "X-Krafter-Idempotency-Key: order-4712\r\n")));
        assertThat(emailsOf("hook-key")).isEqualTo(2);
    }

    @Test
    void aMalformedIdempotencyKeyIs550AndNothingIsRecorded() throws Exception {
        ApiKey key = key("hook-bad-key", "transactional");
        SMTPSession session = FakeSession.authenticated(key);
        for (String header : List.of("X-Krafter-Idempotency-Key: " + "k".repeat(257) + "\r\n",
            "X-Krafter-Idempotency-Key:\r\n", "X-Krafter-Idempotency-Key: a\r\nX-Krafter-Idempotency-Key: b\r\n",
            "X-Krafter-Idempotency-Key: bell\u0007key\r\n")) {
            assertThat(Replies.line(hook.onMessage(session, mail(header))))
                .isEqualTo("550 5.7.1 X-Krafter-Idempotency-Key must be 1 to 256 printable ASCII characters, sent once");
        }
        assertThat(emailsOf("hook-bad-key")).isZero();
        assertThat(events.count("krafter_smtp_rejected_invalid_idempotency_key")).isEqualTo(4);
    }

    @Test
    void aResendOfARefusedMessageIsDecidedAfresh() throws Exception {
        ApiKey key = key("hook-refused-first", "transactional");
        SMTPSession session = FakeSession.authenticated(key);
        assertThat(Replies.line(hook.onMessage(session, mail("<fixed@yourdomain.com>", "X-Krafter-Stream: bulk\r\n"))))
            .startsWith("550 ");
        acceptedId(hook.onMessage(session, mail("<fixed@yourdomain.com>", "")));
        assertThat(emailsOf("hook-refused-first")).isOne();
    }
}
