package dev.krafter.relay.emails;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.krafter.relay.db.StoreException;
import dev.krafter.relay.db.Database;
import dev.krafter.relay.db.DatabaseSettings;
import dev.krafter.relay.db.TestDatabase;

class DeliveryRecordsTest {
    private static TestDatabase db;
    private static DeliveryRecords records;
    private static EmailRows rows;

    @BeforeAll
    static void database() {
        db = TestDatabase.create();
        records = new DeliveryRecords(db.database().dataSource());
        rows = new EmailRows(db.database().dataSource());
    }

    @AfterAll
    static void drop() {
        db.close();
    }

    @Test
    void aNewRecordIsQueuedAndAMissingOneHasNoStatus() {
        UUID id = rows.insertQueued("transactional");

        assertThat(records.status(id)).contains(DeliveryStatus.QUEUED);
        assertThat(records.isSent(id)).isFalse();
        assertThat(records.status(UUID.randomUUID())).isEmpty();
    }

    @Test
    void markSentKeepsSesMessageIdAndSentAt() {
        UUID id = rows.insertQueued("broadcast");
        records.markRetry(id, "TooManyRequestsException: Maximum sending rate exceeded.");

        assertThat(records.markSent(id, "0100018c-ses-id")).isTrue();

        assertThat(rows.read(id)).isEqualTo(new EmailRows.Row("sent", "0100018c-ses-id", null, 1, true));
        assertThat(records.isSent(id)).isTrue();
    }

    @Test
    void markRetryCountsAttemptsAndKeepsTheRecordQueued() {
        UUID id = rows.insertQueued("transactional");

        records.markRetry(id, "HTTP 500");
        records.markRetry(id, "InternalFailure: boom");

        assertThat(rows.read(id)).isEqualTo(new EmailRows.Row("queued", null, "InternalFailure: boom", 2, false));
    }

    @Test
    void markFailedKeepsTheReasonButNeverOverwritesSent() {
        UUID failing = rows.insertQueued("transactional");
        UUID sent = rows.insertQueued("transactional");
        records.markSent(sent, "ses-1");

        assertThat(records.markFailed(failing, "MessageRejected: Email address is not verified.")).isTrue();
        assertThat(records.markFailed(sent, "late error")).isFalse();
        assertThat(records.markRetry(sent, "late retry")).isFalse();

        assertThat(rows.read(failing)).isEqualTo(new EmailRows.Row("failed", null, "MessageRejected: Email address is not verified.", 0, false));
        assertThat(rows.read(sent)).isEqualTo(new EmailRows.Row("sent", "ses-1", null, 0, true));
        assertThat(records.markFailed(UUID.randomUUID(), "no record")).isFalse();
    }

    @Test
    void longErrorsAreCut() {
        UUID id = rows.insertQueued("transactional");

        records.markFailed(id, "x".repeat(10_000));

        assertThat(rows.read(id).error()).hasSize(DeliveryRecords.MAX_ERROR_LENGTH);
    }

    @Test
    void anUnreachableDatabaseIsAStoreException() {
        try (Database dead = Database.connect(new DatabaseSettings("jdbc:postgresql://127.0.0.1:1/none", "x", "y", 1, 250, 1))) {
            DeliveryRecords unreachable = new DeliveryRecords(dead.dataSource());

            assertThatThrownBy(() -> unreachable.status(UUID.randomUUID())).isInstanceOf(StoreException.class);
        }
    }
}
