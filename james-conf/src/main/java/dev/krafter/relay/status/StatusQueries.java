package dev.krafter.relay.status;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.sql.DataSource;

import dev.krafter.relay.policy.Stream;

/**
 * The SQL of {@code krafter-relay status}: read-only, in one repeatable-read transaction, so every
 * figure on the screen is of the same instant ({@code now()} is the transaction's start).
 */
public final class StatusQueries {
    /** The two windows the deliveries are counted in. */
    public static final Map<String, Duration> WINDOWS = windows();
    static final int ERRORS_SHOWN = 5;
    private static final String UNDEFINED_TABLE = "42P01";

    private static final String NOW = "SELECT now()";
    private static final String NODES = """
        SELECT id, host, started_at, last_seen, extract(epoch FROM now() - last_seen)
          FROM relay_nodes
         WHERE last_seen > now() - make_interval(secs => ?)
         ORDER BY id""";
    // The queue name James gives its spool (MailQueueFactory.SPOOL), as krafter_queue_depth counts it.
    private static final String QUEUE = """
        SELECT count(*),
               extract(epoch FROM now() - min(enqueued_at)),
               count(*) FILTER (WHERE next_attempt > now()),
               count(*) FILTER (WHERE lease_until > now())
          FROM mail_queue
         WHERE queue_name = 'spool'""";
    // Dated by the record's last update: sent and failed are final, so that is when the delivery
    // ended; deferred are emails retried at least once (attempts counts the retries) whose last retry
    // or outcome is in the window.
    private static final String DELIVERIES = """
        SELECT stream,
               count(*) FILTER (WHERE status = 'sent'),
               count(*) FILTER (WHERE status = 'failed'),
               count(*) FILTER (WHERE attempts > 0)
          FROM emails
         WHERE updated_at > now() - make_interval(secs => ?)
         GROUP BY stream""";
    // A sent record's error is cleared: these are the errors records still carry (retrying or failed).
    private static final String ERRORS = """
        SELECT error, count(*), max(updated_at)
          FROM emails
         WHERE error IS NOT NULL AND updated_at > now() - make_interval(secs => ?)
         GROUP BY error
         ORDER BY max(updated_at) DESC, error
         LIMIT ?""";

    private final DataSource dataSource;

    public StatusQueries(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public RelayStatus read() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            c.setReadOnly(true);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try {
                RelayStatus status = new RelayStatus(now(c), nodes(c), queue(c), deliveries(c), errors(c));
                c.commit();
                return status;
            } catch (SQLException e) {
                c.rollback();
                if (UNDEFINED_TABLE.equals(e.getSQLState())) {
                    throw new SQLException("this database does not have the relay's tables yet (" + e.getMessage().lines().findFirst().orElse("")
                        + "): start a relay on it or run bin/krafter-relay migrate", e.getSQLState(), e);
                }
                throw e;
            } catch (RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    private static Instant now(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(NOW); ResultSet rs = s.executeQuery()) {
            rs.next();
            return rs.getTimestamp(1).toInstant();
        }
    }

    private static List<RelayStatus.Node> nodes(Connection c) throws SQLException {
        List<RelayStatus.Node> nodes = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement(NODES)) {
            s.setLong(1, RelayStatus.NODES_SEEN_WITHIN.toSeconds());
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    nodes.add(new RelayStatus.Node(rs.getString(1), rs.getString(2), instant(rs.getTimestamp(3)),
                        instant(rs.getTimestamp(4)), seconds(rs.getDouble(5))));
                }
            }
        }
        return nodes;
    }

    private static RelayStatus.Queue queue(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(QUEUE); ResultSet rs = s.executeQuery()) {
            rs.next();
            double oldest = rs.getDouble(2);
            Optional<Duration> age = rs.wasNull() ? Optional.empty() : Optional.of(seconds(oldest));
            return new RelayStatus.Queue(rs.getLong(1), age, rs.getLong(3), rs.getLong(4));
        }
    }

    private static List<RelayStatus.Window> deliveries(Connection c) throws SQLException {
        List<RelayStatus.Window> windows = new ArrayList<>();
        for (Map.Entry<String, Duration> window : WINDOWS.entrySet()) {
            Map<String, RelayStatus.StreamCounts> byStream = new LinkedHashMap<>();
            for (Stream stream : Stream.values()) {
                byStream.put(stream.wireName(), new RelayStatus.StreamCounts(stream.wireName(), 0, 0, 0));
            }
            try (PreparedStatement s = c.prepareStatement(DELIVERIES)) {
                s.setLong(1, window.getValue().toSeconds());
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        byStream.put(rs.getString(1), new RelayStatus.StreamCounts(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4)));
                    }
                }
            }
            windows.add(new RelayStatus.Window(window.getKey(), window.getValue(), List.copyOf(byStream.values())));
        }
        return windows;
    }

    private static List<RelayStatus.DeliveryError> errors(Connection c) throws SQLException {
        List<RelayStatus.DeliveryError> errors = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement(ERRORS)) {
            s.setLong(1, WINDOWS.get("last_24h").toSeconds());
            s.setInt(2, ERRORS_SHOWN);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    errors.add(new RelayStatus.DeliveryError(rs.getString(1), rs.getLong(2), instant(rs.getTimestamp(3))));
                }
            }
        }
        return errors;
    }

    private static Map<String, Duration> windows() {
        Map<String, Duration> windows = new LinkedHashMap<>();
        windows.put("last_hour", Duration.ofHours(1));
        windows.put("last_24h", Duration.ofHours(24));
        return Collections.unmodifiableMap(windows);
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }

    private static Duration seconds(double seconds) {
        return Duration.ofMillis(Math.round(seconds * 1000));
    }
}
