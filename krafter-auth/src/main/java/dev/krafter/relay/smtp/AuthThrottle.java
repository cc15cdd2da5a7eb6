package dev.krafter.relay.smtp;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Failed AUTH per client IP, in the spirit of Postfix's soft and hard error limits. Below
 * {@code slowDownAfter} failures a wrong key just gets its 535; from there on each 535 also
 * closes the connection, so every further guess costs a new TCP and TLS handshake; at
 * {@code lockAfter} failures within the window the IP is refused with 454 for {@code lockout}.
 * (Sleeping is not an option: 3.8.1 runs hooks on the Netty event loop.)
 */
public final class AuthThrottle {
    private static final int MAX_TRACKED = 100_000;

    public record Settings(int slowDownAfter, int lockAfter, Duration window, Duration lockout) {
        public static final Settings DEFAULT = new Settings(3, 10, Duration.ofMinutes(10), Duration.ofMinutes(5));
    }

    public enum Verdict { ALLOW, SLOW_DOWN, LOCKED }

    private record Failures(int count, Instant windowStart, Instant lockedUntil) {
    }

    private final Settings settings;
    private final Clock clock;
    private final ConcurrentHashMap<InetAddress, Failures> failures = new ConcurrentHashMap<>();

    public AuthThrottle(Settings settings, Clock clock) {
        this.settings = settings;
        this.clock = clock;
    }

    /** Whether this IP may try to authenticate at all right now. */
    public Verdict check(InetAddress ip) {
        Failures f = failures.get(ip);
        if (f != null && f.lockedUntil() != null && clock.instant().isBefore(f.lockedUntil())) {
            return Verdict.LOCKED;
        }
        return Verdict.ALLOW;
    }

    /** Counts a failure and says how to answer it. */
    public Verdict failed(InetAddress ip) {
        Instant now = clock.instant();
        if (failures.size() >= MAX_TRACKED) {
            failures.values().removeIf(f -> !now.isBefore(f.windowStart().plus(settings.window()))
                && (f.lockedUntil() == null || !now.isBefore(f.lockedUntil())));
        }
        Failures f = failures.compute(ip, (k, old) -> {
            if (old == null || !now.isBefore(old.windowStart().plus(settings.window()))) {
                return new Failures(1, now, null);
            }
            int count = old.count() + 1;
            return new Failures(count, old.windowStart(), count >= settings.lockAfter() ? now.plus(settings.lockout()) : null);
        });
        if (f.lockedUntil() != null) {
            return Verdict.LOCKED;
        }
        return f.count() >= settings.slowDownAfter() ? Verdict.SLOW_DOWN : Verdict.ALLOW;
    }

    public void succeeded(InetAddress ip) {
        failures.remove(ip);
    }
}
