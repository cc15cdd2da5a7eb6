package dev.krafter.relay.emails;

import java.util.Optional;

/** The {@code emails.status} values, as the delivery side reads them. */
public enum DeliveryStatus {
    QUEUED("queued"),
    SENT("sent"),
    FAILED("failed");

    private final String column;

    DeliveryStatus(String column) {
        this.column = column;
    }

    public String column() {
        return column;
    }

    public static Optional<DeliveryStatus> fromColumn(String value) {
        for (DeliveryStatus status : values()) {
            if (status.column.equals(value)) {
                return Optional.of(status);
            }
        }
        return Optional.empty();
    }
}
