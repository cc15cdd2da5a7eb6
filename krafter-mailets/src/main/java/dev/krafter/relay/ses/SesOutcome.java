package dev.krafter.relay.ses;

import java.util.Objects;

/** What became of one attempt to hand a message to SES (or to the local outbox that stands in for it). */
public sealed interface SesOutcome {

    /** SES accepted the message; {@code messageId} is its MessageId (or the outbox's local id). */
    record Sent(String messageId) implements SesOutcome {
        public Sent {
            Objects.requireNonNull(messageId, "messageId");
        }
    }

    /** A transient condition (throttling, 5xx, timeout, connection error, paused sending): try again later. */
    record Retry(String reason) implements SesOutcome {
        public Retry {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** SES refused the message for good (rejected content, unverified domain, …): record it, never resend. */
    record Failed(String reason) implements SesOutcome {
        public Failed {
            Objects.requireNonNull(reason, "reason");
        }
    }
}
