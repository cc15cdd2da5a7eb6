package dev.krafter.relay.emails;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** A row of {@code emails}, as {@link EmailRecords#find} reads it (tests, admin). */
public record EmailRecord(UUID id, String accountId, long apiKeyId, String stream, boolean tracking,
                          String configurationSet, String envelopeFrom, List<String> envelopeTo,
                          String subject, String messageId, long sizeBytes, String status,
                          String sesMessageId, String error, int attempts,
                          Instant createdAt, Instant updatedAt, Instant sentAt) {

    public EmailRecord {
        envelopeTo = List.copyOf(envelopeTo);
    }
}
