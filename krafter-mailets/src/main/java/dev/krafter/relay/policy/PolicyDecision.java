package dev.krafter.relay.policy;

/** What {@link SenderPolicy#decide} answers: send it this way, or refuse it with a stable code. */
public sealed interface PolicyDecision permits ResolvedPolicy, PolicyViolation {
}
