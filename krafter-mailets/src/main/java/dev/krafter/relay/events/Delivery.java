package dev.krafter.relay.events;

import java.util.Objects;
import java.util.UUID;

/**
 * An accepted message on its way to SES, as every {@code delivery.*} event reports it (from the Mail
 * attributes the SMTP hook set; values of mail queued by an older relay may be null).
 *
 * @param attempt 0 for the first try, n for the n-th retry
 */
public record Delivery(UUID emailId, String keyPrefix, String account, String stream, String configurationSet,
                       int recipients, long sizeBytes, int attempt) {
    public Delivery {
        Objects.requireNonNull(emailId, "emailId");
    }
}
