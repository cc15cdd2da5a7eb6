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
        new AuthThrottle.Settings(3, 5, Duration.ofMinutes(10), Duration.ofMinutes(5)), clock);

    @Test
    void failuresAreAnsweredNormallyThenSlowedThenLocked() throws Exception {
        InetAddress ip = InetAddress.getByName("192.0.2.7");
        assertThat(throttle.failed(ip)).isEqualTo(AuthThrottle.Verdict.ALLOW);
        assertThat(throttle.failed(ip)).isEqualTo(AuthThrottle.Verdict.ALLOW);
        assertThat(throttle.failed(ip)).isEqualTo(AuthThrottle.Verdict.SLOW_DOWN);
        assertThat(throttle.failed(ip)).isEqualTo(AuthThrottle.Verdict.SLOW_DOWN);
        assertThat(throttle.failed(ip)).isEqualTo(AuthThrottle.Verdict.LOCKED);
        assertThat(throttle.check(ip)).isEqualTo(AuthThrottle.Verdict.LOCKED);
        assertThat(throttle.check(InetAddress.getByName("192.0.2.8"))).isEqualTo(AuthThrottle.Verdict.ALLOW);

        now.set(now.get().plus(Duration.ofMinutes(6)));
        assertThat(throttle.check(ip)).isEqualTo(AuthThrottle.Verdict.ALLOW);
    }

    @Test
    void theWindowForgetsOldFailuresAndSuccessClearsThem() throws Exception {
        InetAddress ip = InetAddress.getByName("192.0.2.9");
        throttle.failed(ip);
        throttle.failed(ip);
        now.set(now.get().plus(Duration.ofMinutes(11)));
        assertThat(throttle.failed(ip)).isEqualTo(AuthThrottle.Verdict.ALLOW);
        throttle.failed(ip);
        throttle.succeeded(ip);
        assertThat(throttle.failed(ip)).isEqualTo(AuthThrottle.Verdict.ALLOW);
    }
}
