package dev.krafter.relay.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.krafter.relay.server.RelayFixture;
import dev.krafter.relay.server.RelaySettings;
import dev.krafter.relay.server.SmtpsClient;

/**
 * Messages per connection ({@code KRAFTER_MAX_MESSAGES_PER_CONNECTION}, here 3): the
 * fourth {@code MAIL} on a connection gets {@code 421 4.7.0 Too many messages on this connection,
 * reconnect} and the server closes the connection; a new connection may send again. MAIL/RSET
 * loops count too.
 */
class MessagesPerConnectionTest {
    private static final String LIMIT_REPLY = "421 4.7.0 Too many messages on this connection, reconnect";
    private static RelayFixture relay;
    private static String key;

    @BeforeAll
    static void start() throws Exception {
        relay = RelayFixture.start(Map.of("KRAFTER_MAX_MESSAGES_PER_CONNECTION", "3"));
        key = relay.newKey("acme");
    }

    @AfterAll
    static void stop() throws Exception {
        relay.close();
    }

    private static byte[] message(int n) {
        return ("Subject: per connection " + n + "\r\n\r\nhello\r\n").getBytes();
    }

    @Test
    void theMessageAfterTheLimitGets421AndTheConnectionCloses() throws Exception {
        try (SmtpsClient smtp = relay.connect().login(key)) {
            for (int n = 1; n <= 3; n++) {
                assertThat(smtp.send("a@yourdomain.com", List.of("b@example.com"), message(n))).startsWith("250 2.0.0 OK id=");
            }
            assertThat(smtp.command("MAIL FROM:<a@yourdomain.com>")).isEqualTo(LIMIT_REPLY);
            assertThat(smtp.closedByServer()).isTrue();
        }
        try (SmtpsClient again = relay.connect().login(key)) {
            assertThat(again.send("a@yourdomain.com", List.of("b@example.com"), message(4))).startsWith("250 2.0.0 OK id=");
        }
    }

    @Test
    void mailAndRsetLoopsCountToo() throws Exception {
        try (SmtpsClient smtp = relay.connect().login(key)) {
            for (int n = 1; n <= 3; n++) {
                assertThat(smtp.command("MAIL FROM:<a@yourdomain.com>")).startsWith("250");
                assertThat(smtp.command("RSET")).startsWith("250");
            }
            assertThat(smtp.command("MAIL FROM:<a@yourdomain.com>")).isEqualTo(LIMIT_REPLY);
            assertThat(smtp.closedByServer()).isTrue();
        }
    }

    @Test
    void theShippedDefaultIs1000() {
        assertThat(RelaySettings.fromEnvironment(Map.of("KRAFTER_DB_URL", "jdbc:postgresql://x/y")).systemProperties())
            .containsEntry("krafter.smtp.maxMessagesPerConnection", "1000");
    }
}
