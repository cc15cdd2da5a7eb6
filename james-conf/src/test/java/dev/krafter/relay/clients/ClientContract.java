package dev.krafter.relay.clients;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.mail.MessagingException;
import javax.mail.Part;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import dev.krafter.relay.apikey.ApiKeySecret;
import dev.krafter.relay.server.Clients;
import dev.krafter.relay.server.RelayFixture;
import dev.krafter.relay.server.SmtpsClient;

/**
 * The client suite's four messages, sent by one client library configured as the product page says
 * (only host, port and the trusted certificate differ), and what reached the SES stand-in. A subclass
 * names the client program; the programs share one interface (src/test/clients/README.md).
 */
@ExtendWith(ClientSuite.class)
abstract class ClientContract {
    static final String FROM = "hello@yourdomain.com";
    static final String TO = "recipient@example.com";
    static final String TEXT = "This email was sent via Krafter Mail SMTP relay.";
    static final String HTML = "<h1>Welcome!</h1><p>Sent via SMTP relay.</p>";
    static final String ALTERNATIVE_TEXT = "Welcome! Sent via SMTP relay.";
    private static final Pattern RELAY_OK = Pattern.compile(
        "^250 2\\.0\\.0 OK id=([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$");

    @TempDir
    Path scratch;

    /** The command that runs the client program trusting {@code ca}; it reads the rest from the environment. */
    protected abstract List<String> command(Path ca) throws Exception;

    /** Whether the library hands the relay's reply to the message ({@code 250 … id=…}) to its caller. */
    protected abstract boolean showsRelayReply();

    /** What one run of the client program printed; its last line is {@code OK …} or {@code FAIL …}. */
    record Run(String kase, String token, int exitCode, String output) {
        /** The program's closing {@code OK …} / {@code FAIL …} line ("" when it printed none). */
        String lastLine() {
            String[] lines = output.split("\n");
            for (int i = lines.length - 1; i >= 0; i--) {
                if (lines[i].startsWith("OK") || lines[i].startsWith("FAIL")) {
                    return lines[i].strip();
                }
            }
            return "";
        }

        String reported() {
            return lastLine().replaceFirst("^(OK|FAIL) ?", "");
        }
    }

    protected Run send(String kase, Path ca, Path attachment) throws Exception {
        return send(kase, ca, attachment, Map.of());
    }

    protected Run send(String kase, Path ca, Path attachment, Map<String, String> extraEnv) throws Exception {
        ClientSuite.Shared suite = ClientSuite.shared();
        String token = "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        Map<String, String> env = new HashMap<>();
        env.put("KRAFTER_PORT", String.valueOf(suite.relay().port()));
        env.put("KRAFTER_CA", ca.toString());
        env.put("KRAFTER_API_KEY", suite.key());
        env.put("KRAFTER_CASE", kase);
        env.put("KRAFTER_TOKEN", token);
        if (attachment != null) {
            env.put("KRAFTER_ATTACHMENT", attachment.toString());
        }
        env.putAll(extraEnv);
        // coreutils timeout bounds a client that hangs (Clients.run waits for the output to end).
        List<String> command = new ArrayList<>(List.of("timeout", "--kill-after=10", "90"));
        command.addAll(command(ca));
        Clients.Result result = Clients.run(Duration.ofSeconds(120), env, command.toArray(String[]::new));
        Run run = new Run(kase, token, result.exitCode(), result.output());
        System.out.printf("%s %s %s exit %d: %s%n", getClass().getSimpleName(), kase, token, run.exitCode(), run.lastLine());
        return run;
    }

    protected Run send(String kase) throws Exception {
        return send(kase, ClientSuite.shared().relay().certificate(), null);
    }

    @Test
    void plainText() throws Exception {
        Run run = send("plain");

        Delivery delivery = assertAcceptedAndDelivered(run);
        assertThat(delivery.configurationSet()).contains("krafter-transactional");
        assertThat(delivery.tag("stream")).contains("transactional");
        assertThat(lowerCase(delivery.headerNames())).doesNotContain("list-unsubscribe", "list-unsubscribe-post");
        assertThat(textParts(delivery, "text/plain")).anySatisfy(text -> assertThat(text).contains(TEXT));
    }

    @Test
    void htmlWithAttachment() throws Exception {
        byte[] bytes = new byte[48 * 1024];
        new Random().nextBytes(bytes);
        for (int i = 0; i < 256; i++) {
            bytes[i] = (byte) i; // every octet value, CR and LF and NUL among them
        }
        Path attachment = Files.write(scratch.resolve("attachment.bin"), bytes);

        Run run = send("html", ClientSuite.shared().relay().certificate(), attachment);

        Delivery delivery = assertAcceptedAndDelivered(run);
        assertThat(delivery.configurationSet()).contains("krafter-transactional");
        assertThat(textParts(delivery, "text/html")).anySatisfy(html -> assertThat(html).contains(HTML));
        assertThat(textParts(delivery, "text/plain")).anySatisfy(text -> assertThat(text).contains(ALTERNATIVE_TEXT));
        List<Part> attachments = delivery.leafParts().stream().filter(ClientContract::isAttachmentNamed).toList();
        assertThat(attachments).as("parts named attachment.bin in\n%s", new String(delivery.raw(), StandardCharsets.UTF_8))
            .hasSize(1);
        // transferTo, not readAllBytes: javax.mail's BASE64DecoderStream may return 0 from read(byte[]),
        // which readAllBytes takes for the end.
        ByteArrayOutputStream decoded = new ByteArrayOutputStream();
        try (var in = attachments.get(0).getInputStream()) {
            in.transferTo(decoded);
        }
        byte[] arrived = decoded.toByteArray();
        // Compared by length and first difference: a 48 KiB array dump helps nobody.
        assertThat(arrived.length).as("attachment length after the relay").isEqualTo(bytes.length);
        assertThat(Arrays.mismatch(arrived, bytes)).as("first differing attachment byte after the relay").isEqualTo(-1);
    }

    @Test
    void broadcastStreamWithTrackingOff() throws Exception {
        Run run = send("broadcast");

        Delivery delivery = assertAcceptedAndDelivered(run);
        assertThat(delivery.configurationSet()).contains("krafter-broadcast-untracked");
        assertThat(delivery.tag("stream")).contains("broadcast");
        String[] unsubscribe = delivery.mime().getHeader("List-Unsubscribe");
        assertThat(unsubscribe).as(delivery.headerSection()).hasSize(1);
        assertThat(unsubscribe[0]).contains("<mailto:").contains("<https://");
        assertThat(delivery.mime().getHeader("List-Unsubscribe-Post")).containsExactly("List-Unsubscribe=One-Click");
        assertThat(textParts(delivery, "text/plain")).anySatisfy(text -> assertThat(text).contains(TEXT));
    }

    @Test
    void unknownStreamIsRefusedWith550() throws Exception {
        Run run = send("bad-stream");

        assertThat(run.exitCode()).as(run.output()).isNotZero();
        assertThat(run.lastLine()).as(run.output()).startsWith("FAIL ").contains("550").contains("unknown stream: promo");
        assertNothingDelivered(run);
    }

    @Test
    void aCertificateItDoesNotTrustIsRefused() throws Exception {
        Run run = send("plain", ClientSuite.shared().otherCertificate(), null);

        assertThat(run.exitCode()).as(run.output()).isNotZero();
        assertThat(run.lastLine()).as(run.output()).startsWith("FAIL ");
        // Each library words it its own way ("certificate verify failed", "self-signed certificate",
        // Java's "PKIX path validation failed"); the relay must not have received the message.
        assertThat(run.output()).containsPattern("(?i)certificate|PKIX");
        assertNothingDelivered(run);
    }

    /*
     * AUTH refusals, each right after 20 failed AUTHs from the same address (127.0.0.1, like the
     * client): other failures beside it must neither lock the key out nor hide the refusal's own text,
     * which the product page's troubleshooting tells users to look for.
     */

    @Test
    void aWrongUsernameIsRefusedWithItsReason() throws Exception {
        assertAuthRefused(Map.of("KRAFTER_USER", FROM), "the username must be the literal string 'apikey'");
    }

    @Test
    void aRevokedKeyIsRefusedWithItsReason() throws Exception {
        assertAuthRefused(Map.of("KRAFTER_API_KEY", ClientSuite.shared().revokedKey()), "API key has been revoked");
    }

    @Test
    void aKeyWithoutTheSendScopeIsRefusedWithItsReason() throws Exception {
        assertAuthRefused(Map.of("KRAFTER_API_KEY", ClientSuite.shared().noScopeKey()), "API key lacks the 'mail:send' scope");
    }

    private void assertAuthRefused(Map<String, String> credentials, String reason) throws Exception {
        twentyFailedAuthsFromThisAddress();

        Run run = send("plain", ClientSuite.shared().relay().certificate(), null, credentials);

        assertThat(run.exitCode()).as(run.output()).isNotZero();
        assertThat(run.lastLine()).as(run.output()).startsWith("FAIL ").contains("535")
            .contains("5.7.8 Authentication failed: " + reason);
        assertNothingDelivered(run);
    }

    /** Unknown keys, two a connection (as smtplib sends PLAIN then LOGIN); past the address budget 454, then 421. */
    private static void twentyFailedAuthsFromThisAddress() throws IOException {
        RelayFixture relay = ClientSuite.shared().relay();
        for (int connection = 0; connection < 10; connection++) {
            try (SmtpsClient smtp = relay.connect()) {
                smtp.ehlo();
                for (int attempt = 0; attempt < 2; attempt++) {
                    assertThat(smtp.authPlain("apikey", ApiKeySecret.generate(false).value())).matches("(535|454|421) .*");
                }
            }
        }
    }

    /** The client reported success (with the relay's id where it shows the reply); SES got exactly that message. */
    protected Delivery assertAcceptedAndDelivered(Run run) throws Exception {
        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.lastLine()).as(run.output()).startsWith("OK");
        Delivery delivery = Delivery.await(ClientSuite.shared().ses(), run.token());
        if (showsRelayReply()) {
            Matcher reply = RELAY_OK.matcher(run.reported());
            assertThat(reply.matches()).as("reply reported: %s", run.reported()).isTrue();
            assertThat(delivery.tag("email_id")).contains(reply.group(1));
        }
        assertThat(delivery.tag("email_id")).isPresent();
        assertThat(delivery.fromEmailAddress()).contains(FROM);
        assertThat(delivery.destination()).containsExactly(TO);
        assertThat(delivery.mime().getSubject()).isEqualTo(run.kase() + " " + run.token());
        assertThat(delivery.headerNames()).as(delivery.headerSection())
            .noneMatch(name -> name.regionMatches(true, 0, "X-Krafter-", 0, 10));
        return delivery;
    }

    protected void assertNothingDelivered(Run run) throws InterruptedException {
        // Refusals happen before anything is queued; a short wait only guards against a late SES call.
        Thread.sleep(1000);
        assertThat(ClientSuite.shared().ses().callsContaining(run.token())).isEmpty();
    }

    static List<String> textParts(Delivery delivery, String mimeType) throws MessagingException, IOException {
        return delivery.leafParts().stream().filter(part -> isType(part, mimeType)).map(ClientContract::content).toList();
    }

    private static boolean isType(Part part, String mimeType) {
        try {
            return part.isMimeType(mimeType) && !Part.ATTACHMENT.equalsIgnoreCase(part.getDisposition());
        } catch (MessagingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean isAttachmentNamed(Part part) {
        try {
            return "attachment.bin".equals(part.getFileName());
        } catch (MessagingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String content(Part part) {
        try {
            return part.getContent().toString();
        } catch (MessagingException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> lowerCase(List<String> names) {
        return names.stream().map(n -> n.toLowerCase(Locale.ROOT)).toList();
    }
}
