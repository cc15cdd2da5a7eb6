package dev.krafter.relay.queue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import javax.sql.DataSource;

import org.apache.james.metrics.api.GaugeRegistry;

/**
 * The spool as every node sees it, for metrics: depth, mail waiting for a retry, and the age of the
 * oldest mail, over all nodes. One query answers all three, and its answer is kept for a second,
 * so a scrape costs at most one query however many gauges it reads.
 */
public final class QueueGauges {
    public static final String DEPTH = "krafter_queue_depth";
    public static final String RETRY_WAITING = "krafter_queue_retry_waiting";
    public static final String OLDEST_AGE_SECONDS = "krafter_queue_oldest_age_seconds";

    private static final Duration FRESH = Duration.ofSeconds(1);
    private static final String SQL = """
        SELECT count(*), count(*) FILTER (WHERE next_attempt > now()),
               coalesce(extract(epoch FROM now() - min(enqueued_at)), 0)
          FROM mail_queue WHERE queue_name = ?""";

    /** The spool at one moment; -1 everywhere when the database did not answer. */
    public record Snapshot(long depth, long retryWaiting, double oldestAgeSeconds) {
        static final Snapshot UNKNOWN = new Snapshot(-1, -1, -1);
    }

    private final DataSource dataSource;
    private final String queue;
    private final Clock clock;
    private Snapshot last = Snapshot.UNKNOWN;
    private Instant taken = Instant.MIN;

    public QueueGauges(DataSource dataSource, String queue, Clock clock) {
        this.dataSource = dataSource;
        this.queue = queue;
        this.clock = clock;
    }

    public void register(GaugeRegistry gauges) {
        gauges.register(DEPTH, () -> snapshot().depth());
        gauges.register(RETRY_WAITING, () -> snapshot().retryWaiting());
        gauges.register(OLDEST_AGE_SECONDS, () -> snapshot().oldestAgeSeconds());
    }

    public synchronized Snapshot snapshot() {
        Instant now = clock.instant();
        if (now.isBefore(taken.plus(FRESH))) {
            return last;
        }
        taken = now;
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(SQL)) {
            s.setString(1, queue);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                last = new Snapshot(rs.getLong(1), rs.getLong(2), rs.getDouble(3));
            }
        } catch (SQLException e) {
            last = Snapshot.UNKNOWN;
        }
        return last;
    }
}
