package dev.krafter.relay.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.apikey.ApiKeyStore;
import dev.krafter.relay.apikey.NewApiKey;
import dev.krafter.relay.db.TestDatabase;

/**
 * A real relay for a test class: its own migrated PostgreSQL database, a fresh self-signed
 * certificate, the repository's conf files, SMTPS on a free loopback port, the outbox (or SES
 * through {@code KRAFTER_SES_ENDPOINT}) in a temporary home.
 */
public final class RelayFixture implements AutoCloseable {
    private final RelayHome home;
    private final RelaySettings settings;
    private final KrafterRelayServer server;
    private final ApiKeyStore keys;

    private RelayFixture(Map<String, String> extraEnv) throws Exception {
        home = new RelayHome(extraEnv);
        settings = home.settings();
        try {
            server = KrafterRelayServer.start(settings);
        } catch (Exception e) {
            home.close();
            throw e;
        }
        keys = new ApiKeyStore(home.database().database().dataSource(), Duration.ZERO);
    }

    public static RelayFixture start() throws Exception {
        return new RelayFixture(Map.of());
    }

    public static RelayFixture start(Map<String, String> extraEnv) throws Exception {
        return new RelayFixture(extraEnv);
    }

    public int port() {
        return server.smtpsPort();
    }

    /** WebAdmin's port; empty unless the relay was started with KRAFTER_ADMIN_TOKEN. */
    public Optional<Integer> adminPort() {
        return server.adminPort();
    }

    public RelaySettings settings() {
        return settings;
    }

    public Path certificate() {
        return settings.tlsCert();
    }

    public Path outbox() {
        return settings.outboxDir();
    }

    public Path home() {
        return home.path();
    }

    public TestDatabase database() {
        return home.database();
    }

    /** The running relay's metric registry and spool queue. */
    public java.util.List<String> tlsImplementations() {
        return server.tlsImplementations();
    }

    public RelayProbe probe() {
        return server.probe();
    }

    public ApiKeyStore keys() {
        return keys;
    }

    /** A live key allowed to send on both streams. */
    public String newKey(String account) {
        return newKey(account, Set.of(ApiKey.SEND_SCOPE), Set.of("transactional", "broadcast")).secret().value();
    }

    public NewApiKey newKey(String account, Set<String> scopes, Set<String> streams) {
        return keys.create(account, scopes, streams, false);
    }

    /** How many emails the relay has recorded, all accounts together. */
    public long emails() {
        try {
            return QueueTables.records(database().database().dataSource());
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public SmtpsClient connect() throws IOException {
        return SmtpsClient.connect(port(), certificate());
    }

    @Override
    public void close() throws IOException {
        try {
            server.close();
        } finally {
            home.close();
        }
    }

    static void run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed: " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
