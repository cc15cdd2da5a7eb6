package dev.krafter.relay.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.krafter.relay.admin.AdminRefusal;
import dev.krafter.relay.server.Clients;
import dev.krafter.relay.server.RelayFixture;
import dev.krafter.relay.server.SmtpsClient;

/**
 * The CLI's admin commands ({@code bin/krafter-relay keys|accounts|emails …}) against a
 * running relay's database, their effects checked over real SMTPS. The commands run in-process
 * (KrafterCli.execute); one runs as its own JVM for the exit status and the stderr line.
 */
class AdminCliTest {
    private static final byte[] MESSAGE = ("From: hello@yourdomain.com\r\nTo: dev@acme.test\r\nSubject: cli\r\n\r\n"
        + "Hello.\r\n").getBytes(StandardCharsets.US_ASCII);

    private static RelayFixture relay;

    @BeforeAll
    static void start() throws Exception {
        relay = RelayFixture.start();
    }

    @AfterAll
    static void stop() throws Exception {
        relay.close();
    }

    /** What {@code bin/krafter-relay <args>} prints on stdout. */
    static String cli(String... args) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8)) {
            assertThat(new KrafterCli(relay.settings(), print).execute(new ArrayDeque<>(List.of(args)))).isZero();
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void keyCreatedListedUsedAndRevoked() throws Exception {
        String key = cli("keys", "create", "--account", "cli-acme", "--scopes", "mail:send", "--streams", "transactional").strip();
        assertThat(key).startsWith("kr_live_").hasSize(48);
        try (SmtpsClient smtp = relay.connect()) {
            assertThat(smtp.login(key).send("hello@yourdomain.com", List.of("dev@acme.test"), MESSAGE)).startsWith("250 2.0.0 OK id=");
        }

        String list = cli("keys", "list", "--account", "cli-acme");
        assertThat(list.lines()).hasSize(2);
        assertThat(list.lines().skip(1).findFirst().orElseThrow())
            .contains(key.substring(0, 12), "cli-acme", "mail:send", "transactional", "active")
            .doesNotContain("broadcast");
        assertThat(list).doesNotContain(key);

        long revokedAt = System.nanoTime();
        assertThat(cli("keys", "revoke", key.substring(0, 12))).startsWith("revoked key ").contains("(" + key.substring(0, 12) + ") of account cli-acme");
        String reply;
        do {
            try (SmtpsClient smtp = relay.connect()) {
                smtp.ehlo();
                reply = smtp.authPlain("apikey", key);
            }
            if (reply.startsWith("235")) {
                Thread.sleep(200);
            }
        } while (reply.startsWith("235") && System.nanoTime() - revokedAt < Duration.ofSeconds(10).toNanos());
        // The CLI is another process's view of the database: the running relay's 2 s key cache applies.
        assertThat(reply).isEqualTo("535 5.7.8 Authentication failed: API key has been revoked");
        assertThat(Duration.ofNanos(System.nanoTime() - revokedAt)).isLessThan(Duration.ofSeconds(5));
        assertThat(cli("keys", "list", "--account", "cli-acme")).contains("revoked");

        assertThatThrownBy(() -> cli("keys", "create", "--account", "cli-acme", "--streams", "promo"))
            .isInstanceOf(AdminRefusal.class).hasMessage("allowed_streams: unknown stream 'promo' (known: [transactional, broadcast])");
    }

    @Test
    void sandboxSetFromTheCliIsRefusedAtRcptAndPartsLeftOutAreKept() throws Exception {
        String key = cli("keys", "create", "--account", "cli-sandbox").strip();
        assertThat(cli("accounts", "sandbox", "cli-sandbox", "--on", "--allow", "dev@acme.test,qa@acme.test", "--cap", "5"))
            .isEqualTo("account: cli-sandbox\nsandbox: true\nallowed_recipients: dev@acme.test,qa@acme.test\ndaily_cap: 5\n");

        String rcpt;
        long setAt = System.nanoTime();
        do {
            try (SmtpsClient smtp = relay.connect()) {
                smtp.login(key);
                assertThat(smtp.command("MAIL FROM:<hello@yourdomain.com>")).startsWith("250");
                rcpt = smtp.command("RCPT TO:<stranger@example.com>");
            }
        } while (rcpt.startsWith("250") && System.nanoTime() - setAt < Duration.ofSeconds(10).toNanos());
        assertThat(rcpt).isEqualTo("550 5.7.1 sandbox accounts may only send to allow-listed recipients: stranger@example.com");

        assertThat(cli("accounts", "sandbox", "cli-sandbox", "--off"))
            .isEqualTo("account: cli-sandbox\nsandbox: false\nallowed_recipients: dev@acme.test,qa@acme.test\ndaily_cap: 5\n");
        assertThat(cli("accounts", "sandbox", "cli-sandbox")).contains("sandbox: false");
        assertThatThrownBy(() -> cli("accounts", "sandbox", "cli-typo", "--off"))
            .isInstanceOf(AdminRefusal.class).hasMessage("no account cli-typo (an account is created with its first API key)");
        assertThatThrownBy(() -> cli("accounts", "sandbox", "cli-sandbox", "--cap", "many"))
            .isInstanceOf(IllegalArgumentException.class).hasMessage("--cap needs a whole number, not many");
    }

    @Test
    void emailShownAfterASend() throws Exception {
        String key = cli("keys", "create", "--account", "cli-emails").strip();
        String reply;
        try (SmtpsClient smtp = relay.connect()) {
            reply = smtp.login(key).send("hello@yourdomain.com", List.of("dev@acme.test"), MESSAGE);
        }
        String id = reply.substring("250 2.0.0 OK id=".length()).strip();
        String shown;
        long sentAt = System.nanoTime();
        do {
            shown = cli("emails", "show", id);
            if (shown.contains("status: queued")) {
                Thread.sleep(200);
            }
        } while (shown.contains("status: queued") && System.nanoTime() - sentAt < Duration.ofSeconds(20).toNanos());
        assertThat(shown).startsWith("id: " + id + "\nstatus: sent\nses_message_id: outbox-" + id + "\nerror: -\n")
            .contains("account: cli-emails\n", "stream: transactional\n", "envelope_to: dev@acme.test\n", "subject: cli\n");
    }

    @Test
    void aRefusalIsOneStderrLineAndAnExitStatus() throws Exception {
        Map<String, String> env = new HashMap<>(relay.settings().environment());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("java.class.path");
        Clients.Result missing = Clients.run(Duration.ofSeconds(60), env, java, "-XX:TieredStopAtLevel=1", "-cp", cp, KrafterCli.class.getName(),
            "keys", "revoke", "kr_live_None");
        assertThat(missing.exitCode()).isEqualTo(1);
        assertThat(missing.output()).endsWith("krafter-relay: no API key with id or prefix kr_live_None\n");
        Clients.Result invalid = Clients.run(Duration.ofSeconds(60), env, java, "-XX:TieredStopAtLevel=1", "-cp", cp, KrafterCli.class.getName(),
            "emails", "show", "42");
        assertThat(invalid.exitCode()).isEqualTo(2);
        assertThat(invalid.output()).endsWith("krafter-relay: '42' is not an email id (the UUID of the relay's 250 OK id=… reply)\n");

        Map<String, String> noDatabase = new HashMap<>(env);
        noDatabase.put("KRAFTER_DB_URL", "jdbc:postgresql://127.0.0.1:1/krafter");
        Clients.Result down = Clients.run(Duration.ofSeconds(60), noDatabase, java, "-XX:TieredStopAtLevel=1", "-cp", cp,
            KrafterCli.class.getName(), "keys", "list");
        assertThat(down.exitCode()).isEqualTo(1);
        assertThat(down.output()).startsWith("krafter-relay: ").contains("Connection to 127.0.0.1:1 refused").doesNotContain("\tat ");
    }
}
