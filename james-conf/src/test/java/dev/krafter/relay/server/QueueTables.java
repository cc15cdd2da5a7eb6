package dev.krafter.relay.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

/** What a relay's database holds about its mail: the email records' statuses and the spool queue's rows. */
public final class QueueTables {
    private QueueTables() {
    }

    /** Email id → status of every email record. */
    public static Map<String, String> statuses(DataSource db) throws SQLException {
        Map<String, String> statuses = new HashMap<>();
        try (Connection c = db.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT id::text, status FROM emails");
             ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                statuses.put(rs.getString(1), rs.getString(2));
            }
        }
        return statuses;
    }

    public static long queueRows(DataSource db) throws SQLException {
        return count(db, "mail_queue");
    }

    public static long records(DataSource db) throws SQLException {
        return count(db, "emails");
    }

    private static long count(DataSource db, String table) throws SQLException {
        try (Connection c = db.getConnection();
             PreparedStatement s = c.prepareStatement("SELECT count(*) FROM " + table);
             ResultSet rs = s.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * The outcome commits just after SES answers: waits (30 s at most) until no row is left in
     * mail_queue and every email record is {@code sent}, then asserts exactly that, and that
     * {@code ids} all have a record; returns the records' statuses.
     */
    public static Map<String, String> assertDrained(DataSource db, Collection<String> ids) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        long rows;
        Map<String, String> statuses;
        do {
            Thread.sleep(100);
            rows = queueRows(db);
            statuses = statuses(db);
        } while (System.nanoTime() < deadline && (rows > 0 || !statuses.values().stream().allMatch("sent"::equals)));
        assertThat(rows).as("rows left in mail_queue").isZero();
        assertThat(statuses.keySet()).as("email records").containsAll(ids);
        assertThat(statuses.values()).as("record statuses").containsOnly("sent");
        return statuses;
    }
}
