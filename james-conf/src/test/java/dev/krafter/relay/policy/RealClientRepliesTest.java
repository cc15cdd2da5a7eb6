package dev.krafter.relay.policy;

import static dev.krafter.relay.policy.PolicyHarness.FROM;
import static dev.krafter.relay.policy.PolicyHarness.TO;
import static dev.krafter.relay.policy.PolicyHarness.message;
import static dev.krafter.relay.policy.PolicyHarness.record;
import static dev.krafter.relay.policy.PolicyHarness.records;
import static dev.krafter.relay.policy.PolicyHarness.send;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.krafter.relay.emails.EmailRecord;
import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.server.Clients;
import dev.krafter.relay.server.RelayFixture;

/**
 * What real SMTP clients (swaks, Python smtplib) read — the documented reply texts, exactly
 * (docs/errors.md), for the 250 and every 550 of the product page.
 */
class RealClientRepliesTest {
    private static final Pattern SWAKS_ID = Pattern.compile("<~  250 2\\.0\\.0 OK id=([0-9a-f-]{36})\\r?\\n");
    private static final Pattern PY_ID = Pattern.compile("DATA 250 2\\.0\\.0 OK id=([0-9a-f-]{36})");
    private static final String DEV = "dev@acme.test";

    private static RelayFixture relay;
    private static DataSource db;

    @BeforeAll
    static void start() throws Exception {
        relay = RelayFixture.start();
        db = relay.database().database().dataSource();
    }

    @AfterAll
    static void stop() throws Exception {
        relay.close();
    }

    private static Clients.Result swaks(String key, String to, String... headers) throws Exception {
        List<String> command = new ArrayList<>(List.of("swaks", "--to", to, "--from", FROM,
            "--server", "localhost", "--port", String.valueOf(relay.port()),
            "--tls-on-connect", "--tls-verify", "--tls-ca-path", relay.certificate().toString(),
            "--auth-user", "apikey", "--auth-password", key, "--header", "Subject: SMTP Test",
            "--body", "This email was sent via Krafter Mail SMTP relay."));
        for (String header : headers) {
            command.add("--header");
            command.add(header);
        }
        return Clients.run(Duration.ofSeconds(60), Map.of(), command.toArray(String[]::new));
    }

    @Test
    void swaksReadsTheDocumented250And550Texts() throws Exception {
        String key = relay.newKey("swaks");
        Clients.Result broadcast = swaks(key, TO, "X-Krafter-Stream: broadcast", "X-Krafter-Tracking-Enabled: false");
        assertThat(broadcast.exitCode()).as(broadcast.output()).isZero();
        Matcher id = SWAKS_ID.matcher(broadcast.output());
        assertThat(id.find()).as(broadcast.output()).isTrue();
        EmailRecord accepted = record(db, UUID.fromString(id.group(1)));
        assertThat(accepted.stream()).isEqualTo("broadcast");
        assertThat(accepted.configurationSet()).isEqualTo("krafter-broadcast-untracked");
        assertThat(accepted.subject()).isEqualTo("SMTP Test");

        Clients.Result promo = swaks(key, TO, "X-Krafter-Stream: promo");
        assertThat(promo.exitCode()).isNotZero();
        assertThat(promo.output()).contains("<~* 550 5.7.1 unknown stream: promo\n").doesNotContain("<~  250 2.0.0");

        String transactionalOnly = relay.newKey("swaks", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional")).secret().value();
        Clients.Result notAllowed = swaks(transactionalOnly, TO, "X-Krafter-Stream: broadcast");
        assertThat(notAllowed.exitCode()).isNotZero();
        assertThat(notAllowed.output()).contains("<~* 550 5.7.1 API key is not allowed to send on stream 'broadcast'\n");

        relay.keys().setSandbox("swaks-sandbox", new ApiKey.Sandbox(true, Set.of(DEV), 100));
        String sandbox = relay.keys().create("swaks-sandbox", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional"), true).secret().value();
        Clients.Result stranger = swaks(sandbox, "stranger@example.com");
        assertThat(stranger.exitCode()).isNotZero();
        assertThat(stranger.output())
            .contains("<~* 550 5.7.1 sandbox accounts may only send to allow-listed recipients: stranger@example.com\n")
            .doesNotContain(" ~> DATA");

        assertThat(records(db, "swaks")).isEqualTo(1);
        assertThat(records(db, "swaks-sandbox")).isZero();
    }

    @Test
    void pythonSmtplibReadsTheDocumentedTextsOnOneConnection() throws Exception {
        Path dir = Files.createTempDirectory(relay.home(), "py");
        Path plain = Files.write(dir.resolve("plain.eml"), message("py plain"));
        // Another message each time a new one is meant: the same file again would be a resend (a duplicate).
        Path plainAgain = Files.write(dir.resolve("plain-again.eml"), message("py plain again"));
        Path capped = Files.write(dir.resolve("capped.eml"), message("py over the cap"));
        Path broadcast = Files.write(dir.resolve("broadcast.eml"), message("py broadcast", "X-Krafter-Stream: broadcast"));
        Path promo = Files.write(dir.resolve("promo.eml"), message("py promo", "X-Krafter-Stream: promo"));
        Path conflict = Files.write(dir.resolve("conflict.eml"),
            message("py conflict", "X-Krafter-Stream: broadcast", "X-Krafter-Stream: transactional"));

        // a key limited to transactional: 250, invalid_stream, stream_not_allowed, conflict, 250 again
        String key = relay.newKey("python", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional")).secret().value();
        Clients.Result run = Clients.run(Duration.ofSeconds(60), Map.of(), PolicyHarness.pythonClient(dir, relay.port(),
            relay.certificate(), key, List.of(
                send(FROM, List.of(TO), plain),
                send(FROM, List.of(TO), promo),
                send(FROM, List.of(TO), broadcast),
                send(FROM, List.of(TO), conflict),
                send(FROM, List.of(TO), plainAgain))));
        assertThat(run.exitCode()).as(run.output()).isZero();
        List<String> data = run.output().lines().filter(l -> l.startsWith("DATA ")).toList();
        assertThat(data).as(run.output()).hasSize(5);
        assertThat(data.get(0)).matches(PY_ID);
        assertThat(data.get(1)).isEqualTo("DATA 550 5.7.1 unknown stream: promo");
        assertThat(data.get(2)).isEqualTo("DATA 550 5.7.1 API key is not allowed to send on stream 'broadcast'");
        assertThat(data.get(3)).isEqualTo(
            "DATA 550 5.7.1 conflicting X-Krafter-Stream headers: 'broadcast' and 'transactional'; send exactly one");
        assertThat(data.get(4)).matches(PY_ID);
        assertThat(data.get(4)).isNotEqualTo(data.get(0));
        assertThat(records(db, "python")).isEqualTo(2);

        // a sandbox account with a cap of 1: RCPT refusals, the one send, then the cap
        relay.keys().setSandbox("python-sandbox", new ApiKey.Sandbox(true, Set.of(DEV, "qa@acme.test"), 1));
        String sandbox = relay.keys().create("python-sandbox", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional"), true).secret().value();
        Clients.Result sandboxed = Clients.run(Duration.ofSeconds(60), Map.of(), PolicyHarness.pythonClient(dir, relay.port(),
            relay.certificate(), sandbox, List.of(
                send(FROM, List.of("stranger@example.com", DEV, "qa@acme.test"), plain),
                send(FROM, List.of(DEV), capped),
                send(FROM, List.of("stranger@example.com"), capped))));
        assertThat(sandboxed.exitCode()).as(sandboxed.output()).isZero();
        List<String> lines = sandboxed.output().lines().filter(l -> !l.startsWith("MAIL 250")).toList();
        assertThat(lines).as(sandboxed.output()).hasSize(9);
        assertThat(lines.get(0)).startsWith("AUTH 235");
        assertThat(lines.get(1)).isEqualTo("RCPT stranger@example.com 550 5.7.1 sandbox accounts may only send to allow-listed recipients: stranger@example.com");
        assertThat(lines.get(2)).startsWith("RCPT " + DEV + " 250");
        assertThat(lines.get(3)).isEqualTo("RCPT qa@acme.test 550 5.7.1 sandbox accounts may only send to one recipient per message");
        Matcher accepted = PY_ID.matcher(lines.get(4));
        assertThat(accepted.matches()).as(lines.get(4)).isTrue();
        assertThat(lines.get(5)).startsWith("RCPT " + DEV + " 250");
        assertThat(lines.get(6)).isEqualTo("DATA 550 5.7.1 sandbox accounts may send at most 1 emails per rolling 24 hours; the limit is reached");
        assertThat(lines.get(7)).isEqualTo("RCPT stranger@example.com 550 5.7.1 sandbox accounts may only send to allow-listed recipients: stranger@example.com");
        assertThat(lines.get(8)).startsWith("RSET 250");
        assertThat(record(db, UUID.fromString(accepted.group(1))).envelopeTo()).containsExactly(DEV);
        assertThat(records(db, "python-sandbox")).isEqualTo(1);
    }
}
