package dev.krafter.relay.queue;

/**
 * Told of each lease this process's consumers take: how many mails it handed out, and whether it
 * found fewer ready mails than it asked for (nothing left waiting for this node's delivery threads).
 * A lease that fails (the database away) is told as drained: there is nothing its threads can take.
 */
@FunctionalInterface
public interface LeaseObserver {
    LeaseObserver NONE = (leased, drained) -> { };

    void leased(int leased, boolean drained);
}
