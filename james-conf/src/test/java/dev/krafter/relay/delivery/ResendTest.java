package dev.krafter.relay.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import javax.sql.DataSource;

import org.junit.jupiter.api.Test;

import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.apikey.ApiKeyStore;
import dev.krafter.relay.db.TestDatabase;
import dev.krafter.relay.server.RelayHome;
import dev.krafter.relay.server.RelayProcess;
import dev.krafter.relay.server.SmtpsClient;
import dev.krafter.relay.ses.SesStandIn;

/**
 * A lost 250 does not mean a second send: the same message resent — on the same connection, on
 * another, through another node, after a restart — is answered with the first id and reaches SES
 * once; the same body with another Message-ID is another message. Two relay processes on one
 * database, the SES stand-in counting calls by email id.
 */
class ResendTest {

    @Test
    void aResendIsAnsweredWithTheFirstIdWhereverItArrivesAndSesSeesTheMessageOnce() throws Exception {
        try (SesStandIn ses = SesStandIn.accepting(); TestDatabase database = TestDatabase.create()) {
            DataSource db = database.database().dataSource();
            Map<String, String> shared = new HashMap<>(ses.relayEnv());
            shared.putAll(Map.of("KRAFTER_DB_URL", database.url(), "KRAFTER_DB_USER", database.user(),
                "KRAFTER_DB_PASSWORD", database.password()));
            String key = new ApiKeyStore(db, Duration.ZERO)
                .create("resend", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional"), false).secret().value();
            Map<String, String> envA = new HashMap<>(shared);
            envA.put("KRAFTER_NODE_ID", "resend-a");
            Map<String, String> envB = new HashMap<>(shared);
            envB.put("KRAFTER_NODE_ID", "resend-b");
            try (RelayHome homeA = new RelayHome(envA); RelayHome homeB = new RelayHome(envB)) {
                Path certA = homeA.path().resolve("var/tls/cert.pem");
                Path certB = homeB.path().resolve("var/tls/cert.pem");
                String messageId = "<" + UUID.randomUUID() + "@yourdomain.com>";
                String first;
                String sameConnection;
                String otherConnection;
                String otherBody;
                try (RelayProcess a = RelayProcess.start(homeA.env())) {
                    try (SmtpsClient smtp = SmtpsClient.connect(a.port(), certA).login(key)) {
                        first = smtp.send("resend@yourdomain.com", List.of("rcpt@example.com"), message(messageId, "order 4711"));
                        sameConnection = smtp.send("resend@yourdomain.com", List.of("rcpt@example.com"), message(messageId, "order 4711"));
                    }
                    try (SmtpsClient smtp = SmtpsClient.connect(a.port(), certA).login(key)) {
                        otherConnection = smtp.send("resend@yourdomain.com", List.of("rcpt@example.com"), message(messageId, "order 4711"));
                        otherBody = smtp.send("resend@yourdomain.com", List.of("rcpt@example.com"),
                            message("<" + UUID.randomUUID() + "@yourdomain.com>", "order 4711"));
                    }
                }
                String throughB;
                try (RelayProcess b = RelayProcess.start(homeB.env());
                     SmtpsClient smtp = SmtpsClient.connect(b.port(), certB).login(key)) {
                    throughB = smtp.send("resend@yourdomain.com", List.of("rcpt@example.com"), message(messageId, "order 4711"));
                }
                String afterRestart;
                try (RelayProcess a = RelayProcess.start(homeA.env());
                     SmtpsClient smtp = SmtpsClient.connect(a.port(), certA).login(key)) {
                    afterRestart = smtp.send("resend@yourdomain.com", List.of("rcpt@example.com"), message(messageId, "order 4711"));
                    String id = id(first);
                    String duplicate = "250 2.0.0 OK id=" + id + " (duplicate of a message already accepted; not sent again)";
                    System.out.printf("resend: first %s; same connection, other connection, through node B, after a restart: %s | %s | %s | %s%n",
                        first, sameConnection, otherConnection, throughB, afterRestart);
                    assertThat(List.of(sameConnection, otherConnection, throughB, afterRestart)).containsOnly(duplicate);
                    assertThat(otherBody).startsWith("250 2.0.0 OK id=").doesNotContain(id).doesNotContain("duplicate");

                    List<SesStandIn.Call> calls = ses.await(c -> c.stream().anyMatch(call -> call.emailId().equals(id(otherBody))),
                        Duration.ofSeconds(60));
                    assertThat(calls).filteredOn(call -> call.emailId().equals(id)).hasSize(1);
                    assertThat(calls).filteredOn(call -> call.emailId().equals(id(otherBody))).hasSize(1);
                    assertThat(calls).hasSize(2);
                }
            }
        }
    }

    private static byte[] message(String messageId, String body) {
        return ("From: resend@yourdomain.com\r\nTo: rcpt@example.com\r\nSubject: your order\r\nMessage-ID: " + messageId
            + "\r\n\r\n" + body + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static String id(String reply) {
        String rest = reply.substring(reply.indexOf("id=") + 3).trim();
        int space = rest.indexOf(' ');
        return space < 0 ? rest : rest.substring(0, space);
    }
}
