package dev.krafter.relay.pacing;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;

import javax.sql.DataSource;

/**
 * The spool and the nodes sharing it, as one query answers them: mail queued over all nodes, and the
 * nodes whose heartbeat ({@code relay_nodes.last_seen}) is younger than the lease.
 *
 * @param depth     rows in the spool queue, every node's; -1 when unknown
 * @param liveNodes nodes sharing SES's rate; at least 1 (this one)
 */
public record SpoolLoad(long depth, int liveNodes) {
    public static final SpoolLoad UNKNOWN = new SpoolLoad(-1, 1);

    private static final String SQL = """
        SELECT (SELECT count(*) FROM mail_queue WHERE queue_name = ?),
               (SELECT count(*) FROM relay_nodes WHERE last_seen > now() - ? * interval '1 millisecond')""";

    public SpoolLoad {
        liveNodes = Math.max(1, liveNodes);
    }

    /** Reads it from PostgreSQL; an {@link SQLException} is the caller's to handle. */
    public static SpoolLoad read(DataSource dataSource, String queue, Duration lease) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(SQL)) {
            s.setString(1, queue);
            s.setLong(2, lease.toMillis());
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return new SpoolLoad(rs.getLong(1), rs.getInt(2));
            }
        }
    }
}
