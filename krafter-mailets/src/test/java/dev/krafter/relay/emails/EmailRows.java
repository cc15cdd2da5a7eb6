package dev.krafter.relay.emails;

import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

import javax.sql.DataSource;

/**
 * Test rows in the {@code emails} table as the SMTP side leaves them ({@code queued}), and a read-back
 * of what the delivery side wrote. Plain SQL so the delivery tests do not depend on the policy code.
 */
public final class EmailRows {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** What the delivery side is responsible for in a row. */
    public record Row(String status, String sesMessageId, String error, int attempts, boolean hasSentAt) {
    }

    private final DataSource dataSource;
    private final long apiKeyId;

    public EmailRows(DataSource dataSource) {
        this.dataSource = dataSource;
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO accounts (id) VALUES ('acct_delivery') ON CONFLICT DO NOTHING");
            byte[] hash = new byte[32];
            RANDOM.nextBytes(hash);
            try (PreparedStatement key = c.prepareStatement("""
                INSERT INTO api_keys (account_id, key_hash, prefix, scopes, allowed_streams)
                VALUES ('acct_delivery', ?, 'kr_test_dlv', '{mail:send}', '{transactional,broadcast}') RETURNING id""")) {
                key.setBytes(1, hash);
                try (ResultSet rs = key.executeQuery()) {
                    rs.next();
                    this.apiKeyId = rs.getLong(1);
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public UUID insertQueued(String stream) {
        UUID id = UUID.randomUUID();
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement("""
            INSERT INTO emails (id, account_id, api_key_id, stream, tracking, configuration_set, envelope_from,
                                envelope_to, size_bytes)
            VALUES (?, 'acct_delivery', ?, ?, false, 'cs', 'sender@example.com', '{to@example.net}', 1)""")) {
            s.setObject(1, id);
            s.setLong(2, apiKeyId);
            s.setString(3, stream);
            s.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return id;
    }

    public Row read(UUID id) {
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement(
            "SELECT status, ses_message_id, error, attempts, sent_at IS NOT NULL FROM emails WHERE id = ?")) {
            s.setObject(1, id);
            try (ResultSet rs = s.executeQuery()) {
                if (!rs.next()) {
                    throw new IllegalStateException("no email " + id);
                }
                return new Row(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4), rs.getBoolean(5));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
