package dev.krafter.relay.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Failed AUTHs from one address (smtpserver.xml: 100 unknown keys per address, 10 per key prefix,
 * 3 failures per connection). Correct keys are never refused; failures keep their own text and the
 * connection stays open until a failure past the third.
 */
class AuthThrottleRelayTest {
    private static final String ADDRESS_OVER_BUDGET =
        "454 4.7.0 Too many failed authentication attempts from your address, try again later";
    private static RelayFixture relay;

    @BeforeAll
    static void start() throws Exception {
        // A relay of its own: the budgets spent here must not spill over into other tests.
        relay = RelayFixture.start();
    }

    @AfterAll
    static void stop() throws Exception {
        relay.close();
    }

    /** Each test from a loopback address of its own, so that one test's budget is not another's. */
    private static SmtpsClient connectFrom(String address) throws IOException {
        return SmtpsClient.connect(relay.port(), relay.certificate(), InetAddress.getByName(address));
    }

    private static String guess(int n) {
        return "kr_live_" + String.format("%04d", n) + "guess".repeat(8);
    }

    @Test
    void failuresKeepTheirTextAndTheConnectionUntilAFourthFailure() throws Exception {
        try (SmtpsClient smtp = connectFrom("127.0.0.2")) {
            smtp.ehlo();
            assertThat(smtp.authPlain("me@example.com", guess(1)))
                .isEqualTo("535 5.7.8 Authentication failed: the username must be the literal string 'apikey'");
            assertThat(smtp.authPlain("apikey", guess(1))).isEqualTo("535 5.7.8 Authentication failed: API key is invalid");
            assertThat(smtp.authPlain("apikey", "not-a-key")).isEqualTo("535 5.7.8 Authentication failed: API key is invalid");
            assertThat(smtp.authPlain("apikey", guess(2)))
                .isEqualTo("421 4.7.0 Too many failed authentication attempts on this connection, reconnect");
            assertThat(smtp.closedByServer()).isTrue();
        }
    }

    @Test
    void aCorrectKeyAuthenticatesFromAnAddressPastItsBudgetAndOtherReasonsKeepTheirText() throws Exception {
        String good = relay.newKey("acme-throttle");
        String noScope = relay.newKey("acme-throttle", Set.of("mail:read"), Set.of("transactional")).secret().value();
        String revoked = relay.newKey("acme-throttle");
        relay.keys().revoke(revoked.substring(0, 12));
        // unknown keys from 127.0.0.1, two per connection as smtplib's PLAIN-then-LOGIN sends them, until refused
        int failures = 0;
        String reply = "";
        while (!reply.equals(ADDRESS_OVER_BUDGET) && failures < 110) {
            try (SmtpsClient smtp = connectFrom("127.0.0.3")) {
                smtp.ehlo();
                for (int i = 0; i < 2 && !reply.equals(ADDRESS_OVER_BUDGET); i++) {
                    reply = smtp.authPlain("apikey", guess(100 + failures++));
                    assertThat(reply).isIn("535 5.7.8 Authentication failed: API key is invalid", ADDRESS_OVER_BUDGET);
                }
            }
        }
        assertThat(reply).isEqualTo(ADDRESS_OVER_BUDGET);
        assertThat(failures).isBetween(100, 101);
        try (SmtpsClient smtp = connectFrom("127.0.0.3")) {
            smtp.ehlo();
            assertThat(smtp.authPlain("apikey", guess(999))).isEqualTo(ADDRESS_OVER_BUDGET);
            // past the budget the next failure ends the connection
            assertThat(smtp.authPlain("apikey", guess(998))).startsWith("421 4.7.0");
            assertThat(smtp.closedByServer()).isTrue();
        }
        try (SmtpsClient smtp = connectFrom("127.0.0.3")) {
            smtp.ehlo();
            assertThat(smtp.authPlain("apikey", noScope)).isEqualTo("535 5.7.8 Authentication failed: API key lacks the 'mail:send' scope");
            assertThat(smtp.authPlain("apikey", revoked)).isEqualTo("535 5.7.8 Authentication failed: API key has been revoked");
            assertThat(smtp.authPlain("apikey", good)).isEqualTo("235 2.7.0 Authentication successful");
        }
    }

    @Test
    void oneWrongKeyRepeatedIsSlowedWithoutTouchingOtherKeysFromTheSameAddress() throws Exception {
        String good = relay.newKey("acme");
        String wrong = "kr_live_WRNGkeyofamisconfiguredapp00000000000";
        String last = "";
        for (int attempt = 1; attempt <= 11; attempt++) {
            try (SmtpsClient smtp = connectFrom("127.0.0.4")) {
                smtp.ehlo();
                last = smtp.authPlain("apikey", wrong);
            }
        }
        assertThat(last).isEqualTo("454 4.7.0 Too many failed authentication attempts with this API key, try again later");
        try (SmtpsClient smtp = connectFrom("127.0.0.4")) {
            smtp.ehlo();
            assertThat(smtp.authPlain("apikey", "kr_live_OTHRkeyofanotherapp0000000000000000"))
                .isEqualTo("535 5.7.8 Authentication failed: API key is invalid");
            assertThat(smtp.authPlain("apikey", good)).startsWith("235");
        }
    }
}
