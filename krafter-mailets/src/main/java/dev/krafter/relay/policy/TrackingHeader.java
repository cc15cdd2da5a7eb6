package dev.krafter.relay.policy;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code X-Krafter-Tracking-Enabled} → an override of the stream's tracking default, or none.
 * Case-insensitive {@code true}/{@code false}, trimmed; any other value is ignored, as the product
 * page promises. Repeated headers that agree count once; headers that contradict each other
 * cancel out (the stream default applies): the page defines no error for this header, and picking
 * one of two contradicting values would be a silent guess.
 */
final class TrackingHeader {

    private TrackingHeader() {
    }

    static Optional<Boolean> override(List<String> rawValues) {
        Optional<Boolean> found = Optional.empty();
        for (String raw : rawValues) {
            Optional<Boolean> value = parse(raw);
            if (value.isEmpty()) {
                continue;
            }
            if (found.isPresent() && !found.equals(value)) {
                return Optional.empty();
            }
            found = value;
        }
        return found;
    }

    private static Optional<Boolean> parse(String raw) {
        return switch (raw.strip().toLowerCase(Locale.ROOT)) {
            case "true" -> Optional.of(Boolean.TRUE);
            case "false" -> Optional.of(Boolean.FALSE);
            default -> Optional.empty();
        };
    }
}
