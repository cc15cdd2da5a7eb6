package dev.krafter.relay.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Brute force against AUTH from one address: 535, then 535 with disconnect, then 454 for everyone from there. */
class AuthThrottleRelayTest {
    @Test
    void repeatedFailedAuthFromOneAddressIsSlowedThenRefusedWith454() throws Exception {
        // A relay of its own: the lockout must not spill over into other tests from 127.0.0.1.
        try (RelayFixture isolated = RelayFixture.start()) {
            String good = isolated.newKey("acme");
            String lastReply = "";
            boolean disconnectedAfterFailure = false;
            for (int attempt = 1; attempt <= 10; attempt++) {
                try (SmtpsClient smtp = isolated.connect()) {
                    smtp.ehlo();
                    lastReply = smtp.authPlain("apikey", "kr_live_" + "guess".repeat(8) + attempt);
                    if (lastReply.startsWith("535") && attempt >= 3) {
                        disconnectedAfterFailure |= smtp.closedByServer();
                    }
                }
            }
            assertThat(disconnectedAfterFailure).isTrue();
            assertThat(lastReply).isEqualTo("454 4.7.0 Too many failed authentication attempts from your address, try again later");
            try (SmtpsClient smtp = isolated.connect()) {
                smtp.ehlo();
                assertThat(smtp.authPlain("apikey", good)).startsWith("454 4.7.0");
            }
        }
    }

}
