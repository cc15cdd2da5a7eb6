package dev.krafter.relay.clients;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import dev.krafter.relay.server.Clients;

/** swaks (src/test/clients/swaks_send.sh): implicit TLS with --tls-on-connect, --tls-verify against our certificate. */
class SwaksTest extends ClientContract {

    @Override
    protected List<String> command(Path ca) {
        return List.of("sh", Clients.script("swaks_send.sh").toString());
    }

    @Override
    protected boolean showsRelayReply() {
        return true;
    }

    /** swaks shows what it sent: the relay changed exactly the X-Krafter-* and List-Unsubscribe* fields. */
    @Test
    void broadcastArrivesByteExactButForTheKrafterAndListUnsubscribeFields() throws Exception {
        Run run = send("broadcast");
        Delivery delivery = assertAcceptedAndDelivered(run);

        String sent = new String(Clients.swaksMessage(run.output()), StandardCharsets.UTF_8);
        assertThat(sent).contains("X-Krafter-Stream: broadcast\r\n", "X-Krafter-Tracking-Enabled: false\r\n");
        String delivered = new String(delivery.raw(), StandardCharsets.UTF_8);
        assertThat(withoutFields(delivered, "List-Unsubscribe", "List-Unsubscribe-Post"))
            .isEqualTo(withoutFields(sent, "X-Krafter-Stream", "X-Krafter-Tracking-Enabled"));
    }

    /**
     * The product page's swaks line uses --tls, which in swaks is STARTTLS: it waits for a plaintext
     * greeting that an implicit-TLS port never sends. Bounded here by swaks's own --timeout.
     */
    @Test
    void theProductPagesTlsOptionIsStarttlsAndTimesOut() throws Exception {
        ClientSuite.Shared suite = ClientSuite.shared();
        long started = System.nanoTime();
        Clients.Result swaks = Clients.run(Duration.ofSeconds(60), Map.of(), "swaks",
            "--to", TO, "--from", FROM, "--server", "localhost", "--port", String.valueOf(suite.relay().port()),
            "--tls", "--auth-user", "apikey", "--auth-password", suite.key(),
            "--header", "Subject: SMTP Test", "--body", TEXT, "--timeout", "5");
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(swaks.exitCode()).as(swaks.output()).isNotZero();
        assertThat(swaks.output()).containsIgnoringCase("timeout").doesNotContain("<~  220", "<~  250");
        assertThat(took).isLessThan(Duration.ofSeconds(30));
    }

    /** The message without the named header fields (each with its folded continuation lines). */
    private static String withoutFields(String message, String... names) {
        int end = message.indexOf("\r\n\r\n") + 2;
        StringBuilder kept = new StringBuilder();
        boolean dropping = false;
        for (String line : message.substring(0, end).split("(?<=\r\n)")) {
            boolean continuation = line.startsWith(" ") || line.startsWith("\t");
            if (!continuation) {
                dropping = false;
                for (String name : names) {
                    dropping |= Pattern.compile("(?i)^" + Pattern.quote(name) + "\\s*:").matcher(line).find();
                }
            }
            if (!dropping) {
                kept.append(line);
            }
        }
        return kept + message.substring(end);
    }
}
