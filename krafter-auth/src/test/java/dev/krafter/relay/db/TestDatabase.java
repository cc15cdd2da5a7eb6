package dev.krafter.relay.db;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;

/**
 * A fresh, migrated database on a real PostgreSQL for one test class. The cluster is the one named
 * by KRAFTER_TEST_DB_URL/_USER/_PASSWORD (bin/test sets them); without them, the private cluster
 * under target/test-pg is started through bin/krafter-pg, so a plain {@code mvn test} works too.
 */
public final class TestDatabase implements AutoCloseable {
    private static final int DEFAULT_PORT = 25430;

    private final String adminUrl;
    private final String user;
    private final String password;
    private final String name;
    private final Database database;

    private TestDatabase(String adminUrl, String user, String password, String name) {
        this.adminUrl = adminUrl;
        this.user = user;
        this.password = password;
        this.name = name;
        this.database = Database.connect(settings());
        this.database.migrate();
    }

    public static TestDatabase create() {
        String url = System.getenv("KRAFTER_TEST_DB_URL");
        String user = System.getenv().getOrDefault("KRAFTER_TEST_DB_USER", "krafter");
        String password = System.getenv("KRAFTER_TEST_DB_PASSWORD");
        if (url == null) {
            Path pgDir = repositoryRoot().resolve("target/test-pg");
            run(repositoryRoot().resolve("bin/krafter-pg").toString(), "start", pgDir.toString(), String.valueOf(DEFAULT_PORT));
            url = "jdbc:postgresql://127.0.0.1:" + DEFAULT_PORT + "/postgres";
            try {
                password = Files.readString(pgDir.resolve("password")).trim();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        String name = "krafter_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12).toLowerCase(Locale.ROOT);
        try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create test database on " + url, e);
        }
        return new TestDatabase(url, user, password, name);
    }

    public DatabaseSettings settings() {
        return DatabaseSettings.of(url(), user, password);
    }

    public String url() {
        return adminUrl.substring(0, adminUrl.lastIndexOf('/') + 1) + name;
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }

    public Database database() {
        return database;
    }

    @Override
    public void close() {
        database.close();
        try (Connection c = DriverManager.getConnection(adminUrl, user, password); Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
        } catch (SQLException e) {
            // a leftover test database is harmless; the cluster lives under target/
        }
    }

    /** The checkout's top directory: the first parent holding bin/krafter-pg. */
    public static Path repositoryRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isExecutable(dir.resolve("bin/krafter-pg"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("bin/krafter-pg not found above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }

    private static void run(String... command) {
        try {
            Process p = new ProcessBuilder(command).inheritIO().start();
            if (p.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed with " + p.exitValue());
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
