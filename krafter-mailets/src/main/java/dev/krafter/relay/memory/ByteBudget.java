package dev.krafter.relay.memory;

import java.util.concurrent.Semaphore;

/**
 * Bounds the message bytes a stage holds at once. A message on its way is on the heap, sometimes
 * several times (a SES send: the raw bytes, the SDK's copy, its base64 JSON, ~2.4× a 25 MiB message,
 * docs/mailets.md; an enqueue: one copy), so a few large messages at once would need more heap than
 * the relay's default; with a budget they wait for each other instead. A message larger than the
 * whole budget takes all of it: it still goes, alone.
 */
public final class ByteBudget {
    private static final long UNIT = 1024;

    private final Semaphore kibibytes;
    private final int capacity;

    public ByteBudget(long maxBytes) {
        if (maxBytes < UNIT) {
            throw new IllegalArgumentException("a byte budget must be at least 1 KiB: " + maxBytes);
        }
        this.capacity = (int) Math.min(Integer.MAX_VALUE, maxBytes / UNIT);
        this.kibibytes = new Semaphore(capacity, true);
    }

    /**
     * Waits until {@code messageBytes} fit in the budget. Uninterruptible: a wait is bounded by the
     * messages ahead of it, each bounded by its own timeout (the SES call, the database statement),
     * and an interrupt must not turn a deliverable message into a failure.
     */
    public Permit acquire(long messageBytes) {
        int weight = (int) Math.max(1, Math.min(capacity, (Math.max(0, messageBytes) + UNIT - 1) / UNIT));
        kibibytes.acquireUninterruptibly(weight);
        return new Permit(weight);
    }

    /** Bytes free now (for tests and metrics). */
    public long availableBytes() {
        return kibibytes.availablePermits() * UNIT;
    }

    /** Returns its share of the budget when closed. */
    public final class Permit implements AutoCloseable {
        private final int weight;
        private boolean released;

        private Permit(int weight) {
            this.weight = weight;
        }

        @Override
        public void close() {
            if (!released) {
                released = true;
                kibibytes.release(weight);
            }
        }
    }
}
