package dev.krafter.relay.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import org.junit.jupiter.api.Test;

/**
 * AUTH PLAIN and LOGIN exchanges that go wrong end cleanly (three James 3.8.1
 * defects, fixed by AuthCommandHandler): a bad continuation gets 501 and the next command is a command again;
 * a bad LOGIN username gets 501, not 451 and a disconnect; an empty password gets its own 535, not
 * James's delegation. Each test connects from its own loopback
 * address so the failed-AUTH throttle of one does not touch another.
 */
class AuthExchangeTest extends RelayWithKey {
    private Wire open(String source) throws Exception {
        Wire wire = Wire.tls(source, relay.port(), relay.certificate(), 15_000);
        Wire.expect(wire.reply(), "220");
        Wire.expect(wire.command("EHLO client.example"), "250");
        return wire;
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void authPlainContinuationThatCannotBeDecodedEndsTheExchange() throws Exception {
        try (Wire wire = open("127.2.0.1")) {
            Wire.expect(wire.command("AUTH PLAIN"), "334");
            assertThat(wire.command("!!!!")).isEqualTo("501 Could not decode parameters for AUTH PLAIN");
            assertThat(wire.command("NOOP")).isEqualTo("250 2.0.0 OK");
            // and a right key afterwards, on the same connection
            Wire.expect(wire.command("AUTH PLAIN"), "334");
            assertThat(wire.command(b64("\0apikey\0" + key))).startsWith("235");
        }
    }

    @Test
    void authLoginWithUndecodableUsernameGets501AndTheSessionGoesOn() throws Exception {
        for (String[] user : new String[][] {{"127.2.0.2", "!!!!"}, {"127.2.0.3", ""}, {"127.2.0.4", b64("x".repeat(5000))},
            {"127.2.0.5", b64(" ")}}) {
            try (Wire wire = open(user[0])) {
                Wire.expect(wire.command("AUTH LOGIN"), "334");
                assertThat(wire.command(user[1])).as("username '%s'", user[1]).isEqualTo("501 Could not decode parameters for AUTH LOGIN");
                assertThat(wire.command("NOOP")).isEqualTo("250 2.0.0 OK");
            }
        }
        try (Wire wire = open("127.2.0.6")) {
            assertThat(wire.command("AUTH LOGIN %%%%")).isEqualTo("501 Could not decode parameters for AUTH LOGIN");
            assertThat(wire.command("NOOP")).isEqualTo("250 2.0.0 OK");
        }
    }

    @Test
    void authLoginPasswordThatCannotBeDecodedEndsTheExchange() throws Exception {
        try (Wire wire = open("127.2.0.7")) {
            Wire.expect(wire.command("AUTH LOGIN " + b64("apikey")), "334");
            assertThat(wire.command("!!!!")).isEqualTo("501 Could not decode parameters for AUTH LOGIN");
            assertThat(wire.command("NOOP")).isEqualTo("250 2.0.0 OK");
        }
    }

    @Test
    void cancelledExchangesGet501AndRightKeysStillWork() throws Exception {
        try (Wire wire = open("127.2.0.8")) {
            Wire.expect(wire.command("AUTH PLAIN"), "334");
            assertThat(wire.command("*")).isEqualTo("501 5.7.1 Authentication aborted");
            Wire.expect(wire.command("AUTH LOGIN"), "334");
            assertThat(wire.command("*")).isEqualTo("501 5.7.1 Authentication aborted");
            Wire.expect(wire.command("AUTH LOGIN"), "334");
            assertThat(wire.command(b64("apikey"))).startsWith("334");
            assertThat(wire.command(b64(key))).startsWith("235");
            assertThat(wire.command("NOOP")).isEqualTo("250 2.0.0 OK");
        }
        try (Wire wire = open("127.2.0.9")) {
            assertThat(wire.command("AUTH PLAIN " + b64("\0apikey\0kr_live_wrong"))).startsWith("535");
            assertThat(wire.command("AUTH PLAIN " + b64("\0apikey\0" + key))).startsWith("235");
        }
    }

    @Test
    void anEmptyPasswordGetsItsOwnReasonAndAPlainMessageWithoutItsNulsA501() throws Exception {
        String noKey = "535 5.7.8 Authentication failed: no API key was given (the password is empty)";
        try (Wire wire = open("127.2.0.10")) {
            assertThat(wire.command("AUTH PLAIN " + b64("\0apikey\0"))).isEqualTo(noKey);
            Wire.expect(wire.command("AUTH LOGIN"), "334");
            assertThat(wire.command(b64("apikey"))).startsWith("334");
            assertThat(wire.command("")).isEqualTo(noKey);
            assertThat(wire.command("AUTH PLAIN " + b64("apikey"))).isEqualTo("501 Could not decode parameters for AUTH PLAIN");
            assertThat(wire.command("AUTH PLAIN " + b64("a\0b\0c\0d"))).isEqualTo("501 Could not decode parameters for AUTH PLAIN");
            assertThat(wire.command("NOOP")).isEqualTo("250 2.0.0 OK");
            // authcid NUL passwd, without the authzid's NUL: taken as before
            assertThat(wire.command("AUTH PLAIN " + b64("apikey\0" + key))).startsWith("235");
        }
    }
}
