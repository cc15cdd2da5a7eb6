package dev.krafter.relay.policy;

import java.util.Objects;

/**
 * How an accepted message is sent.
 *
 * @param tracking         open/click tracking, applied only through the SES configuration set
 * @param configurationSet the SES configuration set for (stream, tracking)
 * @param listUnsubscribe  whether List-Unsubscribe headers are added (broadcast only)
 */
public record ResolvedPolicy(Stream stream, boolean tracking, String configurationSet, boolean listUnsubscribe)
    implements PolicyDecision {

    public ResolvedPolicy {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(configurationSet, "configurationSet");
    }
}
