package dev.krafter.relay.server;

import java.time.Duration;

import javax.sql.DataSource;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;

import dev.krafter.relay.apikey.ApiKeyAuthenticator;
import dev.krafter.relay.apikey.ApiKeyStore;
import dev.krafter.relay.db.Database;

/** Krafter's own services: PostgreSQL, the API-key store, the sender policy and SES delivery. */
public class KrafterModule extends AbstractModule {
    /** Revocation must take effect within 5 s; 2 s of caching keeps AUTH off the database. */
    static final Duration KEY_CACHE_TTL = Duration.ofSeconds(2);

    private final RelaySettings settings;
    private final Database database;

    public KrafterModule(RelaySettings settings, Database database) {
        this.settings = settings;
        this.database = database;
    }

    @Override
    protected void configure() {
        bind(RelaySettings.class).toInstance(settings);
        bind(Database.class).toInstance(database);
        bind(DataSource.class).toInstance(database.dataSource());
    }

    @Provides
    @Singleton
    ApiKeyStore apiKeyStore(DataSource dataSource) {
        return new ApiKeyStore(dataSource, KEY_CACHE_TTL);
    }

    @Provides
    @Singleton
    ApiKeyAuthenticator authenticator(ApiKeyStore store) {
        return new ApiKeyAuthenticator(store);
    }
}
