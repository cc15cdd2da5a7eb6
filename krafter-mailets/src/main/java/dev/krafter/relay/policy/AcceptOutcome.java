package dev.krafter.relay.policy;

import java.util.UUID;

/** What {@link dev.krafter.relay.emails.EmailRecords#accept} answers: recorded and queued under an id, or over the sandbox cap. */
public sealed interface AcceptOutcome permits AcceptOutcome.Accepted, PolicyViolation {

    /** The email record exists (status {@code queued}) and its message is on the spool queue: one commit. */
    record Accepted(UUID emailId) implements AcceptOutcome {
    }
}
