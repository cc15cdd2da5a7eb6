package dev.krafter.relay.policy;

import static dev.krafter.relay.policy.PolicyHarness.FROM;
import static dev.krafter.relay.policy.PolicyHarness.TO;
import static dev.krafter.relay.policy.PolicyHarness.awaitDelivered;
import static dev.krafter.relay.policy.PolicyHarness.emailId;
import static dev.krafter.relay.policy.PolicyHarness.message;
import static dev.krafter.relay.policy.PolicyHarness.record;
import static dev.krafter.relay.policy.PolicyHarness.records;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.krafter.relay.emails.EmailRecord;
import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.server.RelayFixture;
import dev.krafter.relay.server.SmtpsClient;

/**
 * End to end: every row of the product page's two header tables ("Per-message headers")
 * and of its 550 list, through a real relay (TLS, AUTH, James, PostgreSQL, the durable queue, the
 * mailet pipeline) down to the outbox, which holds exactly what SES would receive.
 */
class PerMessageHeadersTest {
    private static final String UNSUBSCRIBE_MAILTO = "mailto:unsubscribe@krafter.dev?subject=unsubscribe-";
    private static final String UNSUBSCRIBE_URL = "https://unsubscribe.krafter.dev/u/";

    private static RelayFixture relay;
    private static DataSource db;
    private static String key;

    @BeforeAll
    static void start() throws Exception {
        relay = RelayFixture.start();
        db = relay.database().database().dataSource();
        key = relay.newKey("headers");
    }

    @AfterAll
    static void stop() throws Exception {
        relay.close();
    }

    private record Row(String name, String[] headers, String stream, boolean tracking, String configurationSet) {
    }

    private static Row row(String name, String stream, boolean tracking, String configurationSet, String... headers) {
        return new Row(name, headers, stream, tracking, configurationSet);
    }

    /** X-Krafter-Stream × X-Krafter-Tracking-Enabled → stream, tracking, the one of four configuration sets. */
    private static final List<Row> ACCEPTED_ROWS = List.of(
        // X-Krafter-Stream table
        row("stream absent", "transactional", false, "krafter-transactional"),
        row("transactional", "transactional", false, "krafter-transactional", "X-Krafter-Stream: transactional"),
        row("broadcast", "broadcast", true, "krafter-broadcast", "X-Krafter-Stream: broadcast"),
        // X-Krafter-Tracking-Enabled on each stream: true/false in any case, trimmed; anything else ignored
        row("absent+true", "transactional", true, "krafter-transactional-tracked", "X-Krafter-Tracking-Enabled: true"),
        row("absent+false", "transactional", false, "krafter-transactional", "X-Krafter-Tracking-Enabled: false"),
        row("transactional+true", "transactional", true, "krafter-transactional-tracked",
            "X-Krafter-Stream: transactional", "X-Krafter-Tracking-Enabled: true"),
        row("transactional+TRUE", "transactional", true, "krafter-transactional-tracked",
            "X-Krafter-Stream: transactional", "X-Krafter-Tracking-Enabled: TRUE"),
        row("transactional+ False", "transactional", false, "krafter-transactional",
            "X-Krafter-Stream: transactional", "X-Krafter-Tracking-Enabled:  False "),
        row("transactional+garbage", "transactional", false, "krafter-transactional",
            "X-Krafter-Stream: transactional", "X-Krafter-Tracking-Enabled: yes please"),
        row("transactional+empty", "transactional", false, "krafter-transactional",
            "X-Krafter-Stream: transactional", "X-Krafter-Tracking-Enabled:"),
        row("broadcast+false", "broadcast", false, "krafter-broadcast-untracked",
            "X-Krafter-Stream: broadcast", "X-Krafter-Tracking-Enabled: false"),
        row("broadcast+ False", "broadcast", false, "krafter-broadcast-untracked",
            "X-Krafter-Stream: broadcast", "X-Krafter-Tracking-Enabled:  False "),
        row("broadcast+TRUE", "broadcast", true, "krafter-broadcast",
            "X-Krafter-Stream: broadcast", "X-Krafter-Tracking-Enabled: TRUE"),
        row("broadcast+true", "broadcast", true, "krafter-broadcast",
            "X-Krafter-Stream: broadcast", "X-Krafter-Tracking-Enabled: true"),
        row("broadcast+garbage", "broadcast", true, "krafter-broadcast",
            "X-Krafter-Stream: broadcast", "X-Krafter-Tracking-Enabled: 0"),
        // header name case and value whitespace
        row("lower-case names, padded value", "broadcast", false, "krafter-broadcast-untracked",
            "x-krafter-stream:  broadcast  ", "x-krafter-tracking-enabled: FALSE"),
        row("upper-case name", "broadcast", true, "krafter-broadcast", "X-KRAFTER-STREAM: broadcast"),
        row("tab around value", "broadcast", true, "krafter-broadcast", "X-Krafter-Stream:\tbroadcast\t"),
        row("folded value", "broadcast", true, "krafter-broadcast", "X-Krafter-Stream:\r\n broadcast"),
        row("no space after colon", "transactional", true, "krafter-transactional-tracked",
            "X-Krafter-Stream:transactional", "X-Krafter-Tracking-Enabled:True"),
        // a repeated header with the same value is harmless
        row("same stream twice", "broadcast", true, "krafter-broadcast",
            "X-Krafter-Stream: broadcast", "X-Krafter-Stream:  broadcast"),
        // contradicting tracking headers cancel out: the stream default applies
        row("tracking true and false", "broadcast", true, "krafter-broadcast",
            "X-Krafter-Stream: broadcast", "X-Krafter-Tracking-Enabled: false", "X-Krafter-Tracking-Enabled: true"));

    @Test
    void everyAcceptedRowSelectsItsStreamTrackingAndConfigurationSetAllTheWayToTheOutbox() throws Exception {
        Map<Row, UUID> ids = new LinkedHashMap<>();
        Map<Row, byte[]> sent = new LinkedHashMap<>();
        try (SmtpsClient smtp = relay.connect().login(key)) {
            for (Row row : ACCEPTED_ROWS) {
                byte[] message = message(row.name(), row.headers());
                String reply = smtp.send(FROM, List.of(TO), message);
                assertThat(reply).as(row.name()).startsWith("250 2.0.0 OK id=");
                ids.put(row, emailId(reply));
                sent.put(row, message);
            }
        }
        assertThat(new HashSet<>(ids.values())).hasSameSizeAs(ACCEPTED_ROWS);

        for (Row row : ACCEPTED_ROWS) {
            UUID id = ids.get(row);
            PolicyHarness.Delivered out = awaitDelivered(relay.outbox(), id);
            String what = row.name() + " " + id;

            assertThat(out.configurationSet()).as(what).isEqualTo(row.configurationSet());
            assertThat(out.request().path("EmailTags").toString()).as(what)
                .contains("\"Name\":\"stream\",\"Value\":\"" + row.stream() + "\"")
                .contains("\"Name\":\"email_id\",\"Value\":\"" + id + "\"");
            assertThat(out.request().path("Destination").path("BccAddresses").toString()).as(what).isEqualTo("[\"" + TO + "\"]");
            assertThat(out.request().path("FromEmailAddress").asText()).as(what).isEqualTo(FROM);

            // X-Krafter-* are requests to the relay: never in what SES gets, whatever their case
            assertThat(out.headerNames()).as(what).noneMatch(name -> name.toLowerCase().startsWith("x-krafter-"));
            assertThat(out.text()).as(what).contains("Body of " + row.name() + ".\r\n").contains("Subject: " + row.name() + "\r\n");
            if (row.stream().equals("broadcast")) {
                assertThat(out.header("List-Unsubscribe")).as(what)
                    .isEqualTo("<" + UNSUBSCRIBE_MAILTO + id + ">, <" + UNSUBSCRIBE_URL + id + ">");
                assertThat(out.header("List-Unsubscribe-Post")).as(what).isEqualTo("List-Unsubscribe=One-Click");
            } else {
                assertThat(out.header("List-Unsubscribe")).as(what).isNull();
                assertThat(out.header("List-Unsubscribe-Post")).as(what).isNull();
            }
            if (row.headers().length == 0) {
                // nothing to remove, nothing to add: SES gets the client's bytes unchanged
                assertThat(out.eml()).as(what).isEqualTo(sent.get(row));
            }

            EmailRecord rec = PolicyHarness.awaitStatus(db, id, "sent");
            assertThat(rec.accountId()).as(what).isEqualTo("headers");
            assertThat(rec.stream()).as(what).isEqualTo(row.stream());
            assertThat(rec.tracking()).as(what).isEqualTo(row.tracking());
            assertThat(rec.configurationSet()).as(what).isEqualTo(row.configurationSet());
            assertThat(rec.envelopeFrom()).as(what).isEqualTo(FROM);
            assertThat(rec.envelopeTo()).as(what).containsExactly(TO);
            assertThat(rec.subject()).as(what).isEqualTo(row.name());
            assertThat(rec.sizeBytes()).as(what).isEqualTo(sent.get(row).length);
            assertThat(rec.status()).as(what).isEqualTo("sent"); // the outbox marks it after writing both files
            assertThat(rec.sesMessageId()).as(what).isEqualTo("outbox-" + id);
        }
    }

    @Test
    void unknownStreamValuesGet550WithTheValueEchoedAndNothingIsRecorded() throws Exception {
        String refusedKey = relay.newKey("refused");
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("X-Krafter-Stream: promo", "550 5.7.1 unknown stream: promo");
        cases.put("X-Krafter-Stream: Transactional", "550 5.7.1 unknown stream: Transactional");
        cases.put("X-Krafter-Stream: BROADCAST", "550 5.7.1 unknown stream: BROADCAST");
        cases.put("X-Krafter-Stream:   marketing  ", "550 5.7.1 unknown stream: marketing");
        cases.put("X-Krafter-Stream:", "550 5.7.1 unknown stream: (empty)");
        cases.put("X-Krafter-Stream: transactional, broadcast", "550 5.7.1 unknown stream: transactional, broadcast");
        cases.put("x-krafter-stream: bulk", "550 5.7.1 unknown stream: bulk");
        cases.put("X-Krafter-Stream: " + "z".repeat(100), "550 5.7.1 unknown stream: " + "z".repeat(64) + "...");
        try (SmtpsClient smtp = relay.connect().login(refusedKey)) {
            for (Map.Entry<String, String> c : cases.entrySet()) {
                assertThat(smtp.send(FROM, List.of(TO), message("bad stream", c.getKey()))).as(c.getKey()).isEqualTo(c.getValue());
            }
        }
        assertThat(records(db, "refused")).isZero();
    }

    @Test
    void conflictingStreamHeadersGetTheDocumented550() throws Exception {
        try (SmtpsClient smtp = relay.connect().login(key)) {
            assertThat(smtp.send(FROM, List.of(TO), message("conflict", "X-Krafter-Stream: transactional", "X-Krafter-Stream: broadcast")))
                .isEqualTo("550 5.7.1 conflicting X-Krafter-Stream headers: 'transactional' and 'broadcast'; send exactly one");
            assertThat(smtp.send(FROM, List.of(TO), message("conflict", "X-Krafter-Stream: broadcast", "x-krafter-stream:  transactional ")))
                .isEqualTo("550 5.7.1 conflicting X-Krafter-Stream headers: 'broadcast' and 'transactional'; send exactly one");
            // an unknown value is the more specific error, reported before the conflict
            assertThat(smtp.send(FROM, List.of(TO), message("conflict", "X-Krafter-Stream: broadcast", "X-Krafter-Stream: promo")))
                .isEqualTo("550 5.7.1 unknown stream: promo");
        }
    }

    @Test
    void aStreamOutsideTheKeysAllowedStreamsGets550StreamNotAllowed() throws Exception {
        String transactionalOnly = relay.newKey("narrow", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional")).secret().value();
        String broadcastOnly = relay.newKey("narrow", Set.of(ApiKey.SEND_SCOPE), Set.of("broadcast")).secret().value();
        String noStream = relay.newKey("narrow", Set.of(ApiKey.SEND_SCOPE), Set.of()).secret().value();
        List<UUID> accepted = new ArrayList<>();

        try (SmtpsClient smtp = relay.connect().login(transactionalOnly)) {
            assertThat(smtp.send(FROM, List.of(TO), message("b", "X-Krafter-Stream: broadcast")))
                .isEqualTo("550 5.7.1 API key is not allowed to send on stream 'broadcast'");
            accepted.add(emailId(smtp.send(FROM, List.of(TO), message("t", "X-Krafter-Stream: transactional"))));
            accepted.add(emailId(smtp.send(FROM, List.of(TO), message("default"))));
        }
        try (SmtpsClient smtp = relay.connect().login(broadcastOnly)) {
            // the default stream is checked like a requested one
            assertThat(smtp.send(FROM, List.of(TO), message("default")))
                .isEqualTo("550 5.7.1 API key is not allowed to send on stream 'transactional'");
            assertThat(smtp.send(FROM, List.of(TO), message("t", "X-Krafter-Stream: transactional")))
                .isEqualTo("550 5.7.1 API key is not allowed to send on stream 'transactional'");
            accepted.add(emailId(smtp.send(FROM, List.of(TO), message("b", "X-Krafter-Stream: broadcast"))));
            // invalid_stream is checked before stream_not_allowed
            assertThat(smtp.send(FROM, List.of(TO), message("p", "X-Krafter-Stream: promo")))
                .isEqualTo("550 5.7.1 unknown stream: promo");
        }
        try (SmtpsClient smtp = relay.connect().login(noStream)) {
            assertThat(smtp.send(FROM, List.of(TO), message("default")))
                .isEqualTo("550 5.7.1 API key is not allowed to send on stream 'transactional'");
            assertThat(smtp.send(FROM, List.of(TO), message("b", "X-Krafter-Stream: broadcast")))
                .isEqualTo("550 5.7.1 API key is not allowed to send on stream 'broadcast'");
        }
        assertThat(records(db, "narrow")).isEqualTo(accepted.size());
        assertThat(record(db, accepted.get(2)).stream()).isEqualTo("broadcast");
    }

    @Test
    void theConnectionKeepsServingAfterA550() throws Exception {
        try (SmtpsClient smtp = relay.connect().login(key)) {
            assertThat(smtp.send(FROM, List.of(TO), message("bad", "X-Krafter-Stream: promo")))
                .isEqualTo("550 5.7.1 unknown stream: promo");
            String next = smtp.send(FROM, List.of(TO), message("good after bad"));
            assertThat(next).startsWith("250 2.0.0 OK id=");
            assertThat(smtp.command("NOOP")).startsWith("250");
            assertThat(smtp.send(FROM, List.of(TO), message("bad again", "X-Krafter-Stream: a", "X-Krafter-Stream: b")))
                .isEqualTo("550 5.7.1 unknown stream: a");
            String third = smtp.send(FROM, List.of(TO), message("good again", "X-Krafter-Stream: broadcast"));
            assertThat(third).startsWith("250 2.0.0 OK id=");
            assertThat(record(db, emailId(next)).stream()).isEqualTo("transactional");
            assertThat(record(db, emailId(third)).stream()).isEqualTo("broadcast");
            assertThat(smtp.command("QUIT")).startsWith("221");
        }
    }

    @Test
    void severalTransactionsInOneConnectionEachGetTheirOwnDecisionAndRecord() throws Exception {
        String account = "multi";
        String multiKey = relay.newKey(account);
        List<UUID> ids = new ArrayList<>();
        try (SmtpsClient smtp = relay.connect().login(multiKey)) {
            // 1: broadcast, untracked, two recipients
            ids.add(emailId(smtp.send(FROM, List.of("a@example.com", "b@example.com"),
                message("one", "X-Krafter-Stream: broadcast", "X-Krafter-Tracking-Enabled: false"))));
            // 2: a transaction abandoned with RSET: its recipient must not leak into the next one
            assertThat(smtp.command("MAIL FROM:<abandoned@yourdomain.com>")).startsWith("250");
            assertThat(smtp.command("RCPT TO:<abandoned@example.com>")).startsWith("250");
            assertThat(smtp.command("RSET")).startsWith("250");
            // 3: transactional (default), other sender, one recipient
            ids.add(emailId(smtp.send("other@yourdomain.com", List.of("c@example.com"), message("two"))));
            // 4: refused; no record
            assertThat(smtp.send(FROM, List.of("d@example.com"), message("three", "X-Krafter-Stream: news")))
                .isEqualTo("550 5.7.1 unknown stream: news");
            // 5: RSET between two complete transactions, then a pipelined transaction (EHLO advertised PIPELINING)
            assertThat(smtp.command("RSET")).startsWith("250");
            smtp.write(("MAIL FROM:<" + FROM + ">\r\nRCPT TO:<e@example.com>\r\nDATA\r\n").getBytes());
            assertThat(smtp.reply()).startsWith("250");
            assertThat(smtp.reply()).startsWith("250");
            assertThat(smtp.reply()).startsWith("354");
            ids.add(emailId(smtp.data(message("four", "X-Krafter-Stream: broadcast"))));
            // 6: transactional with tracking
            ids.add(emailId(smtp.send(FROM, List.of("f@example.com"), message("five", "X-Krafter-Tracking-Enabled: true"))));
        }

        assertThat(new HashSet<>(ids)).hasSize(4);
        assertThat(records(db, account)).isEqualTo(4);
        List<EmailRecord> recs = ids.stream().map(id -> record(db, id)).toList();
        assertThat(recs).extracting(EmailRecord::subject).containsExactly("one", "two", "four", "five");
        assertThat(recs).extracting(EmailRecord::stream).containsExactly("broadcast", "transactional", "broadcast", "transactional");
        assertThat(recs).extracting(EmailRecord::configurationSet)
            .containsExactly("krafter-broadcast-untracked", "krafter-transactional", "krafter-broadcast", "krafter-transactional-tracked");
        assertThat(recs).extracting(EmailRecord::envelopeFrom)
            .containsExactly(FROM, "other@yourdomain.com", FROM, FROM);
        assertThat(recs).extracting(r -> r.envelopeTo().toString())
            .containsExactly("[a@example.com, b@example.com]", "[c@example.com]", "[e@example.com]", "[f@example.com]");
        assertThat(recs).extracting(EmailRecord::status).allMatch(status -> status.equals("queued") || status.equals("sent"));
    }
}
