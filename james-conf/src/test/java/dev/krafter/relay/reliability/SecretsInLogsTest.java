package dev.krafter.relay.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.ObjectMapper;

import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.apikey.ApiKeyStore;
import dev.krafter.relay.server.RelayHome;
import dev.krafter.relay.server.RelayProcess;

/**
 * Secrets never in logs: the relay as its own process (its whole stdout/stderr captured),
 * AUTH PLAIN and LOGIN with right and wrong keys, messages sent and refused; the log must contain
 * none of the keys, none of their base64 forms, none of the AUTH payloads; nor may the JSON event log
 * (var/log/events.jsonl), whose every line must parse as one JSON object. Run twice: with the
 * shipped logback.xml, and with every logger at DEBUG (what an operator might turn on).
 */
class SecretsInLogsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void shippedLoggingConfigurationNeverLogsKeysOrAuthPayloads() throws Exception {
        exerciseAndCheck(false);
    }

    @Test
    void debugLoggingEverywhereNeverLogsKeysOrAuthPayloads() throws Exception {
        exerciseAndCheck(true);
    }

    private void exerciseAndCheck(boolean debug) throws Exception {
        try (RelayHome home = new RelayHome(Map.of())) {
            if (debug) {
                Path logback = home.path().resolve("conf/logback.xml");
                Files.writeString(logback, Files.readString(logback)
                    .replaceAll("level=\"(WARN|ERROR|OFF|INFO)\"", "level=\"DEBUG\""));
            }
            String key = new ApiKeyStore(home.database().database().dataSource(), Duration.ZERO)
                .create("acme", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional", "broadcast"), false).secret().value();
            String wrongKey = key.substring(0, key.length() - 4) + (key.endsWith("AAAA") ? "BBBB" : "AAAA");
            String guess = "kr_live_Gu3ssW0rkN0tAKeyAtAll0123456789abcdef";
            List<String> secrets = new ArrayList<>();
            for (String k : List.of(key, wrongKey, guess)) {
                secrets.add(k);
                secrets.add(k.substring(k.length() - 20)); // the random tail, well past the display prefix
                secrets.add(b64(k));
                secrets.add(b64("\0apikey\0" + k));
                secrets.add(b64("apikey\0apikey\0" + k));
            }
            Path cert = home.path().resolve("var/tls/cert.pem");
            try (RelayProcess relay = RelayProcess.start(home.env())) {
                String source = debug ? "127.5.1." : "127.5.0.";
                int n = 1;
                for (String k : List.of(key, wrongKey, guess)) {
                    for (String mech : List.of("PLAIN", "PLAIN-CONTINUATION", "PLAIN-AUTHZID", "LOGIN")) {
                        try (Wire wire = Wire.tls(k.equals(key) ? "127.0.0.1" : source + (n++), relay.port(), cert, 15_000)) {
                            Wire.expect(wire.reply(), "220");
                            Wire.expect(wire.command("EHLO client.example"), "250");
                            String reply = switch (mech) {
                                case "PLAIN" -> wire.command("AUTH PLAIN " + b64("\0apikey\0" + k));
                                case "PLAIN-CONTINUATION" -> {
                                    Wire.expect(wire.command("AUTH PLAIN"), "334");
                                    yield wire.command(b64("\0apikey\0" + k));
                                }
                                case "PLAIN-AUTHZID" -> wire.command("AUTH PLAIN " + b64("apikey\0apikey\0" + k));
                                default -> {
                                    Wire.expect(wire.command("AUTH LOGIN"), "334");
                                    Wire.expect(wire.command(b64("apikey")), "334");
                                    yield wire.command(b64(k));
                                }
                            };
                            assertThat(reply).as(mech).startsWith(k.equals(key) ? "235" : "535");
                            if (k.equals(key)) {
                                Wire.expect(wire.command("MAIL FROM:<hello@yourdomain.com>"), "250");
                                Wire.expect(wire.command("RCPT TO:<recipient@example.com>"), "250");
                                Wire.expect(wire.command("DATA"), "354");
                                // the key also inside the message: the body is not logged either
                                wire.write("Subject: secrets\r\nX-Krafter-Stream: " + (mech.equals("LOGIN") ? "bogus" : "transactional")
                                    + "\r\n\r\nbody mentions " + k + "\r\n.\r\n");
                                assertThat(wire.reply()).startsWith(mech.equals("LOGIN") ? "550" : "250");
                            }
                            wire.command("QUIT");
                        }
                    }
                }
                Thread.sleep(500);
                String log = relay.log();
                System.out.printf("secrets in logs (%s): %d log lines, %d secret forms checked%n",
                    debug ? "every logger at DEBUG" : "shipped logback.xml", log.lines().count(), secrets.size());
                assertThat(log).as("the relay logged AUTH activity at all").contains("AUTH ok key=").contains("AUTH refused");
                for (String secret : secrets) {
                    assertThat(log).as("log contains a secret form").doesNotContain(secret);
                }
                // The event log (conf/logback.xml: var/log/events.jsonl): one JSON object a line, no secret either.
                Path eventLog = home.path().resolve("var/log/events.jsonl");
                List<String> events = Files.readAllLines(eventLog);
                System.out.printf("event log: %d lines%n", events.size());
                assertThat(String.join("\n", events)).as("the event log saw the AUTH refusals and the messages")
                    .contains("\"event\":\"auth.failed\"", "\"event\":\"smtp.accepted\"", "\"event\":\"smtp.rejected\"");
                for (String line : events) {
                    assertThat(JSON.readTree(line).isObject()).as(line).isTrue();
                    for (String secret : secrets) {
                        assertThat(line).as("event log contains a secret form").doesNotContain(secret);
                    }
                }
            }
        }
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
