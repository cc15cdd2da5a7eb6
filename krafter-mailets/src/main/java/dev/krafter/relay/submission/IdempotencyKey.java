package dev.krafter.relay.submission;

import java.util.List;
import java.util.Optional;

import dev.krafter.relay.policy.PolicyViolation;

/**
 * What makes two submissions of one account the same message: the sender's explicit
 * {@code X-Krafter-Idempotency-Key} when there is one, else the message's {@code Message-ID}. A
 * message with neither is never taken for a duplicate. The two kinds are told apart in the stored
 * value, so an explicit key never matches somebody's Message-ID.
 */
public record IdempotencyKey(String value) {
    public static final String HEADER = "X-Krafter-Idempotency-Key";
    static final int MAX_LENGTH = 256;

    /** The explicit header, if any, is malformed: not exactly one value of 1–256 printable ASCII characters. */
    public static Optional<PolicyViolation> violation(List<String> explicit) {
        if (explicit.isEmpty()) {
            return Optional.empty();
        }
        List<String> values = explicit.stream().map(String::strip).distinct().toList();
        return values.size() == 1 && wellFormed(values.get(0))
            ? Optional.empty() : Optional.of(PolicyViolation.invalidIdempotencyKey());
    }

    /** The key of a message whose explicit header (if any) passed {@link #violation}. */
    public static Optional<IdempotencyKey> of(List<String> explicit, String messageId) {
        if (!explicit.isEmpty()) {
            return Optional.of(new IdempotencyKey("key:" + explicit.get(0).strip()));
        }
        if (messageId == null || messageId.isBlank()) {
            return Optional.empty();
        }
        return Optional.of(new IdempotencyKey("message-id:" + messageId.strip()));
    }

    private static boolean wellFormed(String value) {
        if (value.isEmpty() || value.length() > MAX_LENGTH) {
            return false;
        }
        return value.chars().allMatch(c -> c >= 0x20 && c <= 0x7e);
    }
}
