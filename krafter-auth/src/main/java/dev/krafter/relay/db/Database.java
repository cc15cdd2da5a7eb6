package dev.krafter.relay.db;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

import javax.sql.DataSource;

import org.flywaydb.core.Flyway;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

/** The relay's PostgreSQL: one pooled DataSource, schema kept current by the migrations on the class path. */
public final class Database implements AutoCloseable {
    private final HikariDataSource dataSource;
    private final DatabaseSettings settings;

    private Database(HikariDataSource dataSource, DatabaseSettings settings) {
        this.dataSource = dataSource;
        this.settings = settings;
    }

    public static Database connect(DatabaseSettings settings) {
        HikariConfig config = new HikariConfig();
        config.setPoolName("krafter");
        config.setJdbcUrl(settings.url());
        config.setUsername(settings.user());
        config.setPassword(settings.password());
        config.setMaximumPoolSize(settings.poolSize());
        // Fail fast: a hook waiting on a dead database holds an SMTP client; it must get its 451 quickly.
        config.setConnectionTimeout(settings.connectTimeoutMillis());
        config.setValidationTimeout(Math.min(1000, settings.connectTimeoutMillis()));
        config.setInitializationFailTimeout(-1);
        config.addDataSourceProperty("socketTimeout", String.valueOf(settings.socketTimeoutSeconds()));
        config.addDataSourceProperty("connectTimeout", "5");
        config.addDataSourceProperty("tcpKeepAlive", "true");
        config.addDataSourceProperty("ApplicationName", "krafter-relay");
        return new Database(new HikariDataSource(config), settings);
    }

    /** Applies every migration under classpath:db/migration (each module ships its own). */
    public int migrate() {
        return Flyway.configure()
            .dataSource(dataSource)
            .locations("classpath:db/migration")
            .load()
            .migrate()
            .migrationsExecuted;
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /** A connection of its own, outside the pool, for a holder that keeps it open (LISTEN). */
    public Connection connectDirect() throws SQLException {
        Properties properties = new Properties();
        properties.setProperty("user", settings.user());
        properties.setProperty("password", settings.password());
        properties.setProperty("connectTimeout", "5");
        properties.setProperty("tcpKeepAlive", "true");
        properties.setProperty("ApplicationName", "krafter-relay");
        return DriverManager.getConnection(settings.url(), properties);
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
