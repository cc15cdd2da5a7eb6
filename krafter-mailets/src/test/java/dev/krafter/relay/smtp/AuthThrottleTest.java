package dev.krafter.relay.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

class AuthThrottleTest {
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-11-25T12:00:00Z"));
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    };
    private final AuthThrottle throttle = new AuthThrottle(
        new AuthThrottle.Settings(5, 2, Duration.ofMinutes(10), 3), clock);

    @Test
    void oneKeyFromOneAddressSpendsItsOwnBudgetOnly() throws Exception {
        InetAddress ip = InetAddress.getByName("192.0.2.7");
        assertThat(throttle.unknownKey(ip, "kr_live_AAAA")).isEqualTo(AuthThrottle.Verdict.ANSWER);
        assertThat(throttle.unknownKey(ip, "kr_live_AAAA")).isEqualTo(AuthThrottle.Verdict.ANSWER);
        assertThat(throttle.unknownKey(ip, "kr_live_AAAA")).isEqualTo(AuthThrottle.Verdict.KEY_OVER_BUDGET);
        // another key from the same address, and the same key from another address, are still answered
        assertThat(throttle.unknownKey(ip, "kr_live_BBBB")).isEqualTo(AuthThrottle.Verdict.ANSWER);
        assertThat(throttle.unknownKey(InetAddress.getByName("192.0.2.8"), "kr_live_AAAA")).isEqualTo(AuthThrottle.Verdict.ANSWER);
    }

    @Test
    void manyKeysFromOneAddressSpendTheAddressBudget() throws Exception {
        InetAddress ip = InetAddress.getByName("192.0.2.9");
        for (int i = 0; i < 5; i++) {
            assertThat(throttle.unknownKey(ip, "kr_live_" + i)).isEqualTo(AuthThrottle.Verdict.ANSWER);
        }
        assertThat(throttle.unknownKey(ip, "kr_live_X")).isEqualTo(AuthThrottle.Verdict.ADDRESS_OVER_BUDGET);
        assertThat(throttle.unknownKey(InetAddress.getByName("192.0.2.10"), "kr_live_X")).isEqualTo(AuthThrottle.Verdict.ANSWER);
    }

    @Test
    void theWindowForgetsOldFailures() throws Exception {
        InetAddress ip = InetAddress.getByName("192.0.2.11");
        throttle.unknownKey(ip, "kr_live_AAAA");
        throttle.unknownKey(ip, "kr_live_AAAA");
        assertThat(throttle.unknownKey(ip, "kr_live_AAAA")).isEqualTo(AuthThrottle.Verdict.KEY_OVER_BUDGET);
        now.set(now.get().plus(Duration.ofMinutes(10)));
        assertThat(throttle.unknownKey(ip, "kr_live_AAAA")).isEqualTo(AuthThrottle.Verdict.ANSWER);
    }
}
