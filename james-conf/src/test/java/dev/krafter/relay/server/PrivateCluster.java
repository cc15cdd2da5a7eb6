package dev.krafter.relay.server;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.krafter.relay.db.Database;
import dev.krafter.relay.db.DatabaseSettings;
import dev.krafter.relay.db.TestDatabase;

/**
 * A PostgreSQL cluster of one test's own ({@code bin/krafter-pg} under {@code target/<name>}), for
 * tests that stop or restart PostgreSQL: the shared test cluster stays up for the other tests. Kept
 * between runs (initdb costs seconds), used by one run at a time (a lock file beside it).
 */
public final class PrivateCluster implements AutoCloseable {
    public static final String USER = "krafter";

    private final Path dir;
    private final FileChannel lockFile;
    private final FileLock lock;
    private final int port;
    private final String password;

    private PrivateCluster(String name, int port) throws IOException, InterruptedException {
        Path target = TestDatabase.repositoryRoot().resolve("target");
        Files.createDirectories(target);
        lockFile = FileChannel.open(target.resolve(name + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        lock = lockFile.lock();
        dir = target.resolve(name);
        pg("stop", dir.toString()); // left running by a run that died, perhaps on another port
        this.port = port;
        start();
        password = Files.readString(dir.resolve("password")).trim();
    }

    /** Starts (or reuses) the cluster named {@code name} on a free port. */
    public static PrivateCluster start(String name) throws IOException, InterruptedException {
        return new PrivateCluster(name, freePort());
    }

    /** Starts (or reuses) the cluster named {@code name} on {@code port}. */
    public static PrivateCluster start(String name, int port) throws IOException, InterruptedException {
        return new PrivateCluster(name, port);
    }

    /** The cluster's directory: data/, password, postgresql.log. */
    public Path dir() {
        return dir;
    }

    /** Drops and creates {@code database}; returns its JDBC URL. */
    public String freshDatabase(String database) throws Exception {
        try (Connection c = DriverManager.getConnection(url("postgres"), USER, password); Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
            s.execute("CREATE DATABASE " + database);
        }
        return url(database);
    }

    public String url(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    public String password() {
        return password;
    }

    /** A pool of the test's own on {@code databaseUrl}, as the relay's user. */
    public Database connect(String databaseUrl) {
        return Database.connect(DatabaseSettings.of(databaseUrl, USER, password));
    }

    /** KRAFTER_DB_URL, _USER and _PASSWORD for a relay on {@code database}. */
    public Map<String, String> relayEnv(String databaseUrl) {
        return Map.of("KRAFTER_DB_URL", databaseUrl, "KRAFTER_DB_USER", USER, "KRAFTER_DB_PASSWORD", password);
    }

    public void start() throws IOException, InterruptedException {
        pg("start", dir.toString(), String.valueOf(port));
    }

    /** {@code pg_ctl stop -m fast}: open sessions are ended, as in a restart by an operator. */
    public void stop() throws IOException, InterruptedException {
        pg("stop", dir.toString());
    }

    @Override
    public void close() throws IOException, InterruptedException {
        try {
            stop();
        } finally {
            lock.release();
            lockFile.close();
        }
    }

    private static void pg(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(TestDatabase.repositoryRoot().resolve("bin/krafter-pg").toString());
        command.addAll(List.of(args));
        Clients.Result result = Clients.run(Duration.ofSeconds(120), Map.of(), command.toArray(String[]::new));
        if (result.exitCode() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed:\n" + result.output());
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
