package dev.krafter.relay.status;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;

import javax.sql.DataSource;

/**
 * Rows as the relays leave them, written straight into a migrated test database: email records,
 * spool rows, node heartbeats. Times are given as "this long ago" (negative: in the future),
 * relative to the database's now().
 */
public final class StatusRows {
    private final DataSource dataSource;

    public StatusRows(DataSource dataSource) {
        this.dataSource = dataSource;
        execute("""
            INSERT INTO accounts (id) VALUES ('acct_status') ON CONFLICT DO NOTHING;
            INSERT INTO api_keys (id, account_id, key_hash, prefix, scopes, allowed_streams)
            VALUES (424242, 'acct_status', decode(md5('status'), 'hex') || decode(md5('rows'), 'hex'), 'kr_test_sts',
                    '{mail:send}', '{transactional,broadcast}') ON CONFLICT DO NOTHING""");
    }

    /** An email record last updated {@code ago}; a sent one has sent_at then too. */
    public UUID email(String stream, String status, int attempts, String error, Duration ago) {
        UUID id = UUID.randomUUID();
        update("""
            INSERT INTO emails (id, account_id, api_key_id, stream, tracking, configuration_set, envelope_from, envelope_to,
                                size_bytes, status, attempts, error, created_at, updated_at, sent_at)
            VALUES (?, 'acct_status', 424242, ?, false, 'cs', 'sender@example.com', '{to@example.net}', 1, ?, ?, ?,
                    now() - make_interval(secs => ?), now() - make_interval(secs => ?),
                    CASE WHEN ? = 'sent' THEN now() - make_interval(secs => ?) END)""",
            id, stream, status, attempts, error, ago.toSeconds() + 1, ago.toSeconds(), status, ago.toSeconds());
        return id;
    }

    /** A spool row first enqueued {@code enqueuedAgo}, due {@code dueAgo} ago, leased by {@code leaseOwner} when not null. */
    public void queued(String queue, Duration enqueuedAgo, Duration dueAgo, String leaseOwner) {
        update("""
            INSERT INTO mail_queue (queue_name, mail_name, sender, recipients, mail, message, size_bytes,
                                    enqueued_at, next_attempt, lease_owner, lease_until)
            VALUES (?, 'mail-' || gen_random_uuid(), 'sender@example.com', '{to@example.net}', '{}', '\\x00', 1,
                    now() - make_interval(secs => ?), now() - make_interval(secs => ?), ?,
                    CASE WHEN ?::text IS NOT NULL THEN now() + interval '1 minute' END)""",
            queue, enqueuedAgo.toSeconds(), dueAgo.toSeconds(), leaseOwner, leaseOwner);
    }

    public void node(String id, String host, Duration startedAgo, Duration seenAgo) {
        update("INSERT INTO relay_nodes (id, host, started_at, last_seen) VALUES (?, ?, now() - make_interval(secs => ?), now() - make_interval(secs => ?))",
            id, host, startedAgo.toSeconds(), seenAgo.toSeconds());
    }

    public void execute(String sql) {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private void update(String sql, Object... values) {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < values.length; i++) {
                s.setObject(i + 1, values[i]);
            }
            s.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
