package dev.krafter.relay.smtp;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bounds what failed AUTHs cost, never whether a correct key works: it is asked only after the key
 * was checked and refused. Counted are the attempts that could be guesses (a well-formed key that is
 * not known: one hash and one database read each), per client address and per presented key prefix
 * from that address, in a fixed window. Within both budgets a failure gets its own 535 text; past
 * either it gets a 454 and its connection ends at the next failure, so every further guess costs the
 * guesser a new TCP and TLS handshake. A shared address (NAT) thus keeps working for every correct key
 * beside a misconfigured app. (No sleeping: 3.8.1 runs hooks on the Netty event loop.)
 */
public final class AuthThrottle {
    private static final int MAX_TRACKED = 100_000;

    /** {@code perConnection}: failures one connection may have before the next one closes it. */
    public record Settings(int perAddress, int perKey, Duration window, int perConnection) {
        public static final Settings DEFAULT = new Settings(100, 10, Duration.ofMinutes(10), 3);
    }

    public enum Verdict {
        /** Answer with the failure's own reason. */
        ANSWER,
        /** The address spent its budget of unknown keys. */
        ADDRESS_OVER_BUDGET,
        /** This key prefix, from this address, spent its budget. */
        KEY_OVER_BUDGET
    }

    private record Bucket(InetAddress address, String keyPrefix) {
    }

    private record Window(int count, Instant start) {
    }

    private final Settings settings;
    private final Clock clock;
    private final ConcurrentHashMap<Bucket, Window> windows = new ConcurrentHashMap<>();

    public AuthThrottle(Settings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
    }

    public Settings settings() {
        return settings;
    }

    /** Counts an unknown key presented from {@code address} ({@code keyPrefix}: its display prefix) and says how to answer. */
    public Verdict unknownKey(InetAddress address, String keyPrefix) {
        Instant now = clock.instant();
        if (windows.size() >= MAX_TRACKED) {
            windows.values().removeIf(w -> expired(w, now)); // bounded: a flood of addresses must not grow the heap
        }
        int fromAddress = count(new Bucket(address, null), now);
        int withKey = count(new Bucket(address, keyPrefix), now);
        if (fromAddress > settings.perAddress()) {
            return Verdict.ADDRESS_OVER_BUDGET;
        }
        return withKey > settings.perKey() ? Verdict.KEY_OVER_BUDGET : Verdict.ANSWER;
    }

    private int count(Bucket bucket, Instant now) {
        return windows.compute(bucket, (k, old) -> old == null || expired(old, now) ? new Window(1, now) : new Window(old.count() + 1, old.start()))
            .count();
    }

    private boolean expired(Window window, Instant now) {
        return !now.isBefore(window.start().plus(settings.window()));
    }
}
