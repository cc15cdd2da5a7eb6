package dev.krafter.relay.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.apikey.NewApiKey;

/** A real relay, real TLS, real PostgreSQL, real clients. */
class FoundationTest {
    private static final String BODY = "This email was sent via Krafter Mail SMTP relay.";
    private static RelayFixture relay;
    private static String key;

    @BeforeAll
    static void start() throws Exception {
        relay = RelayFixture.start();
        key = relay.newKey("acme");
    }

    @AfterAll
    static void stop() throws Exception {
        relay.close();
    }

    @Test
    void swaksAsOnTheProductPageWithImplicitTls() throws Exception {
        Clients.Result swaks = Clients.run(Duration.ofSeconds(60), Map.of(), "swaks",
            "--to", "recipient@example.com", "--from", "hello@yourdomain.com",
            "--server", "localhost", "--port", String.valueOf(relay.port()),
            "--tls-on-connect", "--tls-verify", "--tls-ca-path", relay.certificate().toString(),
            "--auth-user", "apikey", "--auth-password", key,
            "--header", "Subject: SMTP Test", "--body", BODY);

        assertThat(swaks.exitCode()).as(swaks.output()).isZero();
        assertThat(swaks.output()).contains("<~  250 2.0.0 OK id=");
        byte[] sent = Clients.swaksMessage(swaks.output());
        assertThat(new String(sent, StandardCharsets.UTF_8)).contains("Subject: SMTP Test").contains(BODY);
        assertThat(Clients.awaitOutbox(relay.outbox(), swaks.emailId())).isEqualTo(sent);
    }

    @Test
    void pythonSmtplibSmtpSsl() throws Exception {
        byte[] message = ("From: hello@yourdomain.com\r\nTo: recipient@example.com\r\nSubject: smtplib\r\n"
            + "Message-ID: <smtplib-1@yourdomain.com>\r\n\r\nHello from smtplib.\r\n..leading dot line\r\n")
            .getBytes(StandardCharsets.US_ASCII);
        Path file = Files.write(relay.home().resolve("smtplib.eml"), message);

        Clients.Result python = Clients.run(Duration.ofSeconds(60), Map.of(), "python3",
            Clients.script("smtplib_send.py").toString(), String.valueOf(relay.port()), relay.certificate().toString(),
            key, "hello@yourdomain.com", "recipient@example.com", file.toString());

        assertThat(python.output()).startsWith("REPLY 250 2.0.0 OK id=");
        assertThat(Clients.awaitOutbox(relay.outbox(), python.emailId())).isEqualTo(message);
    }

    @Test
    void ehloAdvertisesTheRelayExtensionsAndNoStarttls() throws Exception {
        try (SmtpsClient smtp = relay.connect()) {
            assertThat(smtp.greeting()).startsWith("220 ");
            assertThat(smtp.negotiatedProtocol()).isIn("TLSv1.3", "TLSv1.2");
            String ehlo = smtp.ehlo();
            assertThat(ehlo).contains("SIZE 26214400", "AUTH LOGIN PLAIN", "PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES");
            assertThat(ehlo).doesNotContainIgnoringCase("STARTTLS");
            assertThat(smtp.command("STARTTLS")).startsWith("5");
        }
    }

    @Test
    void mailFromBeforeAuthIsRefusedWith530() throws Exception {
        try (SmtpsClient smtp = relay.connect()) {
            smtp.ehlo();
            assertThat(smtp.command("MAIL FROM:<hello@yourdomain.com>")).isEqualTo("530 5.7.0 Authentication required");
            assertThat(smtp.command("RCPT TO:<someone@example.com>")).startsWith("503");
            assertThat(smtp.command("NOOP")).startsWith("250");
        }
    }

    @Test
    void wrongUsernameUnknownKeyAndMissingScopeGet535WithTheirReason() throws Exception {
        NewApiKey readOnly = relay.newKey("acme", Set.of("mail:read"), Set.of("transactional"));
        try (SmtpsClient smtp = relay.connect()) {
            smtp.ehlo();
            assertThat(smtp.authPlain("me@acme.com", key))
                .isEqualTo("535 5.7.8 Authentication failed: the username must be the literal string 'apikey'");
            assertThat(smtp.authPlain("apikey", "kr_live_" + "x".repeat(40)))
                .isEqualTo("535 5.7.8 Authentication failed: API key is invalid");
        }
        try (SmtpsClient smtp = relay.connect()) {
            smtp.ehlo();
            String reply = smtp.authPlain("apikey", readOnly.secret().value());
            assertThat(reply).isEqualTo("535 5.7.8 Authentication failed: API key lacks the 'mail:send' scope");
            assertThat(reply).doesNotContain(readOnly.secret().value());
        }
    }

    @Test
    void aKeyRevokedWhileTheServerRunsIsRefusedWithinFiveSeconds() throws Exception {
        String doomed = relay.newKey("acme");
        try (SmtpsClient smtp = relay.connect()) {
            assertThat(smtp.login(doomed).command("NOOP")).startsWith("250");
        }
        long revokedAt = System.nanoTime();
        assertThat(relay.keys().revoke(relay.keys().list().get(relay.keys().list().size() - 1).prefix())).isEqualTo(1);

        String reply;
        do {
            try (SmtpsClient smtp = relay.connect()) {
                smtp.ehlo();
                reply = smtp.authPlain("apikey", doomed);
            }
            Thread.sleep(200);
        } while (reply.startsWith("235") && System.nanoTime() - revokedAt < Duration.ofSeconds(10).toNanos());

        assertThat(reply).isEqualTo("535 5.7.8 Authentication failed: API key has been revoked");
        assertThat(Duration.ofNanos(System.nanoTime() - revokedAt)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void plaintextSmtpOnTheTlsPortGetsNoGreetingAndIsClosed() throws Exception {
        try (Socket plain = new Socket("localhost", relay.port())) {
            plain.setSoTimeout(10_000);
            plain.getOutputStream().write("EHLO plain.example\r\n".getBytes(StandardCharsets.US_ASCII));
            byte[] answer = plain.getInputStream().readNBytes(64);
            // The TLS layer answers garbage with at most a TLS alert record, never an SMTP line.
            assertThat(new String(answer, StandardCharsets.ISO_8859_1)).doesNotContain("220", "250");
        }
    }

    @Test
    void tls10And11AreRefused() throws Exception {
        for (String version : List.of("-tls1", "-tls1_1")) {
            Clients.Result openssl = Clients.run(Duration.ofSeconds(30), Map.of(), "sh", "-c",
                "echo QUIT | openssl s_client -connect 127.0.0.1:" + relay.port() + " " + version
                    + " -cipher DEFAULT@SECLEVEL=0 2>&1");
            assertThat(openssl.output()).as(version).doesNotContain("220 ");
            assertThat(openssl.output()).as(version).containsAnyOf("alert protocol version", "no protocols available",
                "unsupported protocol", "wrong version number");
        }
        Clients.Result tls12 = Clients.run(Duration.ofSeconds(30), Map.of(), "sh", "-c",
            "echo QUIT | openssl s_client -connect 127.0.0.1:" + relay.port() + " -tls1_2 -CAfile "
                + relay.certificate() + " 2>&1");
        assertThat(tls12.output()).contains("220 ").contains("Protocol  : TLSv1.2");
    }

    @Test
    void messageOfExactly25MiBIsAcceptedOneOctetMoreGets552() throws Exception {
        int limit = 26_214_400;
        try (SmtpsClient smtp = relay.connect().login(key)) {
            assertThat(smtp.send("hello@yourdomain.com", List.of("recipient@example.com"), TestMessages.ofSize(limit)))
                .startsWith("250 2.0.0 OK id=");
            assertThat(smtp.send("hello@yourdomain.com", List.of("recipient@example.com"), TestMessages.ofSize(limit + 1)))
                .startsWith("552");
        }
        try (SmtpsClient smtp = relay.connect().login(key)) {
            assertThat(smtp.command("MAIL FROM:<hello@yourdomain.com> SIZE=" + (limit + 1))).startsWith("552");
        }
    }
}
