package dev.krafter.relay.policy;

import java.util.List;

/**
 * {@code X-Krafter-Stream} → the stream. Absent → transactional; each value is trimmed (a folded
 * header line starts with CRLF + space, which trimming removes too); the value itself is exact and
 * case-sensitive (see {@link Stream#fromWireName}). Repeated headers with the same value are
 * harmless (some clients and frameworks add headers twice); different values are refused, never
 * silently resolved by picking one.
 */
final class StreamHeader {

    sealed interface Result {
    }

    record Valid(Stream stream) implements Result {
    }

    record Invalid(PolicyViolation violation) implements Result {
    }

    private StreamHeader() {
    }

    static Result resolve(List<String> rawValues) {
        if (rawValues.isEmpty()) {
            return new Valid(Stream.TRANSACTIONAL);
        }
        // An unknown value is the more specific error: report it before any conflict.
        for (String raw : rawValues) {
            if (Stream.fromWireName(raw.strip()).isEmpty()) {
                return new Invalid(PolicyViolation.unknownStream(raw));
            }
        }
        String first = rawValues.get(0).strip();
        for (String raw : rawValues) {
            if (!raw.strip().equals(first)) {
                return new Invalid(PolicyViolation.conflictingStreams(first, raw.strip()));
            }
        }
        return new Valid(Stream.fromWireName(first).orElseThrow());
    }
}
