package dev.krafter.relay.ses;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * When to try a message again: exponential backoff with jitter, capped, for a bounded number of retries.
 *
 * <p>Retry {@code n} (1-based) waits {@code min(maxDelay, initialDelay × 2^(n-1))}, of which a random
 * half is taken off ("equal jitter"): retries of messages that failed together (an SES outage, a
 * throttling burst) spread out instead of returning as one wave, and no retry comes sooner than half
 * its nominal delay. With the defaults (30 s, 10 min, 10 retries) the nominal waits add up to
 * 65 minutes (49 on average after jitter) before the message is given up.
 */
public record RetrySchedule(Duration initialDelay, Duration maxDelay, int maxRetries) {

    public static final Duration DEFAULT_INITIAL_DELAY = Duration.ofSeconds(30);
    public static final Duration DEFAULT_MAX_DELAY = Duration.ofMinutes(10);
    public static final int DEFAULT_MAX_RETRIES = 10;

    public RetrySchedule {
        Objects.requireNonNull(initialDelay, "initialDelay");
        Objects.requireNonNull(maxDelay, "maxDelay");
        if (initialDelay.isNegative() || initialDelay.isZero()) {
            throw new IllegalArgumentException("initialDelay must be positive: " + initialDelay);
        }
        if (maxDelay.compareTo(initialDelay) < 0) {
            throw new IllegalArgumentException("maxDelay " + maxDelay + " is shorter than initialDelay " + initialDelay);
        }
        if (maxRetries < 0) {
            throw new IllegalArgumentException("maxRetries must not be negative: " + maxRetries);
        }
    }

    public static RetrySchedule defaults() {
        return new RetrySchedule(DEFAULT_INITIAL_DELAY, DEFAULT_MAX_DELAY, DEFAULT_MAX_RETRIES);
    }

    /**
     * The wait before retry number {@code retry} (1 = the first retry), or empty when {@code retry}
     * exceeds {@link #maxRetries()}: the message is to be given up.
     */
    public Optional<Duration> delayBefore(int retry, RandomGenerator random) {
        if (retry < 1) {
            throw new IllegalArgumentException("retries count from 1: " + retry);
        }
        if (retry > maxRetries) {
            return Optional.empty();
        }
        Duration nominal = nominalDelay(retry);
        long halfMillis = nominal.toMillis() / 2;
        long jitter = halfMillis == 0 ? 0 : random.nextLong(halfMillis + 1);
        return Optional.of(nominal.minusMillis(jitter));
    }

    Duration nominalDelay(int retry) {
        // Doubling stops at the cap; the shift is bounded so a large maxRetries cannot overflow.
        int doublings = Math.min(retry - 1, 30);
        long millis = initialDelay.toMillis() << doublings;
        return millis <= 0 || millis > maxDelay.toMillis() ? maxDelay : Duration.ofMillis(millis);
    }
}
