package dev.krafter.relay.pacing;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import dev.krafter.relay.queue.LeaseObserver;

/**
 * New mail held to the pace at which this node's delivery threads take mail from the spool, as
 * Postfix's {@code in_flow_delay}: each mail the queue consumer leases gives a token, each
 * {@code MAIL FROM} takes one, and when none is left it waits for one, at most {@code maxDelay}, then
 * goes ahead anyway. A lease that finds fewer ready mails than it asked for tops the tokens up to the
 * cap: nothing is waiting, so nothing is held. Only a spool that grows faster than it is delivered
 * pauses senders, and on shared cores the pause is the CPU the delivery threads need to catch up.
 */
public final class InFlow implements LeaseObserver {
    /** Mails that may arrive ahead of the delivery threads before senders wait. */
    public static final int DEFAULT_CAP = 32;

    private final int cap;
    /** Fair, and a release wakes only as many waiters as it adds tokens: sixteen senders waiting do not all wake for one. */
    private final Semaphore tokens;

    public InFlow(int cap) {
        if (cap < 1) {
            throw new IllegalArgumentException("the in-flow cap must be at least 1");
        }
        this.cap = cap;
        this.tokens = new Semaphore(cap, true);
    }

    @Override
    public void leased(int leased, boolean drained) {
        // MAILs can only lower the count between the read and the release, so one consumer never
        // takes it past the cap; two queues' consumers at once could by a lease, which is harmless.
        int room = cap - tokens.availablePermits();
        int add = drained ? room : Math.min(room, leased);
        if (add > 0) {
            tokens.release(add);
        }
    }

    /**
     * Takes a token, waiting for one at most {@code maxDelay}; returns how long it waited (zero when a
     * token was there). After {@code maxDelay} it returns without one: a pause, never a refusal.
     */
    public Duration admit(Duration maxDelay) throws InterruptedException {
        if (tokens.tryAcquire()) {
            return Duration.ZERO;
        }
        long start = System.nanoTime();
        tokens.tryAcquire(maxDelay.toNanos(), TimeUnit.NANOSECONDS);
        return Duration.ofNanos(System.nanoTime() - start);
    }

    int tokens() {
        return tokens.availablePermits();
    }
}
