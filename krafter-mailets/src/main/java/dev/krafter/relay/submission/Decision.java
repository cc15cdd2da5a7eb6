package dev.krafter.relay.submission;

import java.util.Optional;
import java.util.UUID;

import dev.krafter.relay.policy.PolicyViolation;
import dev.krafter.relay.policy.ResolvedPolicy;

/** What became of one submitted message; the reply (SMTP or REST) and the event follow from it. */
public sealed interface Decision {
    /** Recorded and queued in one commit under {@code emailId}. */
    record Accepted(UUID emailId, ResolvedPolicy policy) implements Decision {
    }

    /** A resend of a message the account submitted within the window: nothing written, not sent again. */
    record Duplicate(UUID firstEmailId) implements Decision {
    }

    /** Refused by the sender policy or the sandbox cap; nothing was written. */
    record Refused(Optional<String> stream, PolicyViolation violation) implements Decision {
    }

    /** Could not be taken now (the database failed); nothing was written, the client should retry. */
    record Deferred(Exception error) implements Decision {
    }
}
