package dev.krafter.relay.policy;

import java.util.UUID;

/** What {@link dev.krafter.relay.emails.EmailRecords#accept} answers: recorded and queued under an id, a duplicate of one, or over the sandbox cap. */
public sealed interface AcceptOutcome permits AcceptOutcome.Accepted, AcceptOutcome.Duplicate, PolicyViolation {

    /** The email record exists (status {@code queued}) and its message is on the spool queue: one commit. */
    record Accepted(UUID emailId) implements AcceptOutcome {
    }

    /** The account sent a message with the same idempotency key within the window: nothing written, answered with its id. */
    record Duplicate(UUID firstEmailId) implements AcceptOutcome {
    }
}
