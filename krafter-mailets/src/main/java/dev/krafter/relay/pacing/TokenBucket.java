package dev.krafter.relay.pacing;

import java.time.Duration;
import java.util.Optional;

/**
 * A token bucket that hands out reservations: a caller takes a token now, or a place in line at most
 * {@code maxWait} ahead, which it then waits out itself. Callers in line are spaced exactly
 * {@code 1 / rate} apart, so in any interval {@code t} the bucket lets through at most
 * {@code rate × t + burst} sends. Plain Java with the clock passed in (nanoseconds), for tests.
 */
public final class TokenBucket {
    private static final double NANOS = 1_000_000_000d;

    private double rate;
    private final double burst;
    private double tokens;
    private long refilledAt;

    /** A full bucket: {@code burst} sends may go at once. */
    public TokenBucket(double rate, double burst, long nowNanos) {
        this(rate, burst, burst, nowNanos);
    }

    /**
     * @param rate    tokens a second (> 0)
     * @param burst   the most tokens that accumulate while idle (≥ 1)
     * @param initial tokens at the start; below 0 the first send waits until the bucket has earned one
     */
    public TokenBucket(double rate, double burst, double initial, long nowNanos) {
        if (!(rate > 0) || burst < 1 || initial > burst) {
            throw new IllegalArgumentException("rate must be positive and burst at least 1: " + rate + ", " + burst);
        }
        this.rate = rate;
        this.burst = burst;
        this.tokens = initial;
        this.refilledAt = nowNanos;
    }

    public synchronized double rate() {
        return rate;
    }

    /** A new rate from now on; tokens already earned (or owed) stay. */
    public synchronized void rate(double newRate, long nowNanos) {
        if (!(newRate > 0)) {
            throw new IllegalArgumentException("rate must be positive: " + newRate);
        }
        refill(nowNanos);
        rate = newRate;
    }

    /**
     * A token now ({@code Duration.ZERO}), or after the returned wait when that is at most
     * {@code maxWait}; empty when the wait would be longer — nothing is taken then, and
     * {@link #waitFor(long)} says how long the line is.
     */
    public synchronized Optional<Duration> reserve(long nowNanos, Duration maxWait) {
        refill(nowNanos);
        double after = tokens - 1;
        long waitNanos = after >= 0 ? 0 : (long) Math.ceil(-after / rate * NANOS);
        if (waitNanos > maxWait.toNanos()) {
            return Optional.empty();
        }
        tokens = after;
        return Optional.of(Duration.ofNanos(waitNanos));
    }

    /** How long a reservation made now would wait. */
    public synchronized Duration waitFor(long nowNanos) {
        refill(nowNanos);
        double after = tokens - 1;
        return after >= 0 ? Duration.ZERO : Duration.ofNanos((long) Math.ceil(-after / rate * NANOS));
    }

    private void refill(long nowNanos) {
        long elapsed = nowNanos - refilledAt;
        if (elapsed > 0) {
            tokens = Math.min(burst, tokens + elapsed / NANOS * rate);
            refilledAt = nowNanos;
        }
    }
}
