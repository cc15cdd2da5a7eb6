package dev.krafter.relay.apikey;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import javax.sql.DataSource;

import dev.krafter.relay.db.StoreException;

/**
 * API keys in PostgreSQL, looked up by SHA-256 digest. Lookups are cached for a short TTL (default
 * 2 s) so that AUTH rarely touches the database, while a revocation still takes effect within the
 * TTL — the product promise is 5 seconds.
 */
public final class ApiKeyStore {
    private static final int MAX_CACHED = 10_000;
    private static final String SELECT = """
        SELECT k.id, k.account_id, k.prefix, k.scopes, k.allowed_streams, k.revoked_at IS NOT NULL AS revoked,
               a.sandbox, a.sandbox_allowed_recipients, a.sandbox_daily_cap
          FROM api_keys k JOIN accounts a ON a.id = k.account_id
        """;

    private final DataSource dataSource;
    private final long ttlNanos;
    private final ConcurrentHashMap<String, Cached> cache = new ConcurrentHashMap<>();

    private record Cached(Optional<ApiKey> key, long expiresAt) {
    }

    public ApiKeyStore(DataSource dataSource, Duration cacheTtl) {
        this.dataSource = dataSource;
        this.ttlNanos = cacheTtl.toNanos();
    }

    public NewApiKey create(String accountId, Set<String> scopes, Set<String> allowedStreams, boolean sandbox) {
        ApiKeySecret secret = ApiKeySecret.generate(sandbox);
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement account = c.prepareStatement(
                     "INSERT INTO accounts (id, sandbox) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET sandbox = accounts.sandbox OR EXCLUDED.sandbox");
                 PreparedStatement key = c.prepareStatement(
                     "INSERT INTO api_keys (account_id, key_hash, prefix, scopes, allowed_streams) VALUES (?, ?, ?, ?, ?) RETURNING id")) {
                account.setString(1, accountId);
                account.setBoolean(2, sandbox);
                account.executeUpdate();
                key.setString(1, accountId);
                key.setBytes(2, secret.sha256());
                key.setString(3, secret.prefix());
                key.setArray(4, c.createArrayOf("text", scopes.toArray()));
                key.setArray(5, c.createArrayOf("text", allowedStreams.toArray()));
                long id;
                try (ResultSet rs = key.executeQuery()) {
                    rs.next();
                    id = rs.getLong(1);
                }
                c.commit();
                return new NewApiKey(secret, byId(c, id).orElseThrow());
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new StoreException("could not create API key", e);
        }
    }

    /** The key whose plaintext this is, revoked or not; empty when no such key exists. */
    public Optional<ApiKey> find(ApiKeySecret secret) {
        byte[] hash = secret.sha256();
        String cacheKey = HexFormat.of().formatHex(hash);
        long now = System.nanoTime();
        Cached cached = cache.get(cacheKey);
        if (cached != null && now - cached.expiresAt() < 0) {
            return cached.key();
        }
        Optional<ApiKey> key = load(hash);
        if (cache.size() >= MAX_CACHED) {
            cache.clear(); // bounded: a flood of random keys must not grow the heap
        }
        cache.put(cacheKey, new Cached(key, now + ttlNanos));
        return key;
    }

    private Optional<ApiKey> load(byte[] hash) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement select = c.prepareStatement(SELECT + " WHERE k.key_hash = ?")) {
            select.setBytes(1, hash);
            Optional<ApiKey> key = one(select);
            if (key.isPresent() && !key.get().revoked()) {
                // Coarse on purpose: at most one write a minute per key, and only on a cache miss.
                try (PreparedStatement touch = c.prepareStatement(
                    "UPDATE api_keys SET last_used_at = now() WHERE id = ? AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')")) {
                    touch.setLong(1, key.get().id());
                    touch.executeUpdate();
                }
            }
            return key;
        } catch (SQLException e) {
            throw new StoreException("could not look up API key", e);
        }
    }

    public List<ApiKey> list() {
        return select("", null, "could not list API keys");
    }

    /** One account's keys, revoked ones included, oldest first. */
    public List<ApiKey> list(String accountId) {
        return select(" WHERE k.account_id = ?", accountId, "could not list API keys");
    }

    /** The keys a numeric id or a display prefix names (prefixes are short and may be shared). */
    public List<ApiKey> findByIdOrPrefix(String idOrPrefix) {
        boolean byId = idOrPrefix.matches("\\d{1,18}");
        return select(byId ? " WHERE k.id = ?::bigint" : " WHERE k.prefix = ?", idOrPrefix,
            "could not look up API key " + idOrPrefix);
    }

    /** Keys matching {@code where} (one optional string parameter), oldest first. */
    private List<ApiKey> select(String where, String parameter, String failure) {
        try (Connection c = dataSource.getConnection();
             PreparedStatement select = c.prepareStatement(SELECT + where + " ORDER BY k.id")) {
            if (parameter != null) {
                select.setString(1, parameter);
            }
            List<ApiKey> keys = new ArrayList<>();
            try (ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    keys.add(read(rs));
                }
            }
            return keys;
        } catch (SQLException e) {
            throw new StoreException(failure, e);
        }
    }

    /** An account's sandbox settings; empty when the account does not exist. */
    public Optional<ApiKey.Sandbox> sandbox(String accountId) {
        try (Connection c = dataSource.getConnection(); PreparedStatement select = c.prepareStatement(
            "SELECT sandbox, sandbox_allowed_recipients, sandbox_daily_cap FROM accounts WHERE id = ?")) {
            select.setString(1, accountId);
            try (ResultSet rs = select.executeQuery()) {
                return rs.next()
                    ? Optional.of(new ApiKey.Sandbox(rs.getBoolean(1), strings(rs.getArray(2)), rs.getInt(3)))
                    : Optional.empty();
            }
        } catch (SQLException e) {
            throw new StoreException("could not read account " + accountId, e);
        }
    }

    /**
     * Changes an existing account's sandbox settings (no account is created: a typo must not
     * succeed silently). Cached keys are dropped so that this process applies it at once.
     *
     * @return whether the account exists
     */
    public boolean updateSandbox(String accountId, ApiKey.Sandbox sandbox) {
        try (Connection c = dataSource.getConnection(); PreparedStatement update = c.prepareStatement("""
            UPDATE accounts SET sandbox = ?, sandbox_allowed_recipients = ?, sandbox_daily_cap = ? WHERE id = ?""")) {
            update.setBoolean(1, sandbox.enabled());
            update.setArray(2, c.createArrayOf("text", sandbox.allowedRecipients().toArray()));
            update.setInt(3, sandbox.dailyCap());
            update.setString(4, accountId);
            boolean updated = update.executeUpdate() > 0;
            cache.clear();
            return updated;
        } catch (SQLException e) {
            throw new StoreException("could not update account " + accountId, e);
        }
    }

    /**
     * Revokes by numeric id or by display prefix; returns how many keys were revoked. Cached keys
     * are dropped, so this process refuses the key at once; other relay processes within the TTL.
     */
    public int revoke(String idOrPrefix) {
        String sql = idOrPrefix.matches("\\d+")
            ? "UPDATE api_keys SET revoked_at = now() WHERE id = ?::bigint AND revoked_at IS NULL"
            : "UPDATE api_keys SET revoked_at = now() WHERE prefix = ? AND revoked_at IS NULL";
        try (Connection c = dataSource.getConnection(); PreparedStatement update = c.prepareStatement(sql)) {
            update.setString(1, idOrPrefix);
            int revoked = update.executeUpdate();
            cache.clear();
            return revoked;
        } catch (SQLException e) {
            throw new StoreException("could not revoke API key", e);
        }
    }

    /** Sets an account's sandbox flag, allow-list and rolling 24-hour cap. */
    public void setSandbox(String accountId, ApiKey.Sandbox sandbox) {
        try (Connection c = dataSource.getConnection(); PreparedStatement upsert = c.prepareStatement("""
            INSERT INTO accounts (id, sandbox, sandbox_allowed_recipients, sandbox_daily_cap) VALUES (?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET sandbox = EXCLUDED.sandbox,
                sandbox_allowed_recipients = EXCLUDED.sandbox_allowed_recipients,
                sandbox_daily_cap = EXCLUDED.sandbox_daily_cap
            """)) {
            upsert.setString(1, accountId);
            upsert.setBoolean(2, sandbox.enabled());
            upsert.setArray(3, c.createArrayOf("text", sandbox.allowedRecipients().toArray()));
            upsert.setInt(4, sandbox.dailyCap());
            upsert.executeUpdate();
        } catch (SQLException e) {
            throw new StoreException("could not update account " + accountId, e);
        }
    }

    private Optional<ApiKey> byId(Connection c, long id) throws SQLException {
        try (PreparedStatement select = c.prepareStatement(SELECT + " WHERE k.id = ?")) {
            select.setLong(1, id);
            return one(select);
        }
    }

    private static Optional<ApiKey> one(PreparedStatement select) throws SQLException {
        try (ResultSet rs = select.executeQuery()) {
            return rs.next() ? Optional.of(read(rs)) : Optional.empty();
        }
    }

    private static ApiKey read(ResultSet rs) throws SQLException {
        return new ApiKey(rs.getLong("id"), rs.getString("account_id"), rs.getString("prefix"),
            strings(rs.getArray("scopes")), strings(rs.getArray("allowed_streams")), rs.getBoolean("revoked"),
            new ApiKey.Sandbox(rs.getBoolean("sandbox"), strings(rs.getArray("sandbox_allowed_recipients")),
                rs.getInt("sandbox_daily_cap")));
    }

    private static Set<String> strings(Array array) throws SQLException {
        return Set.copyOf(java.util.Arrays.asList((String[]) array.getArray()));
    }
}
