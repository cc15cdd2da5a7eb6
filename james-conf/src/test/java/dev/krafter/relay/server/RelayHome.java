package dev.krafter.relay.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

import dev.krafter.relay.db.TestDatabase;

/**
 * Everything a test relay runs on, before it runs: its own migrated database, a temporary home
 * with the repository's conf files and a fresh self-signed certificate, and the environment that
 * points the relay at them (SMTPS on a free loopback port).
 */
public final class RelayHome implements AutoCloseable {
    private final TestDatabase database;
    private final Path home;
    private final Map<String, String> env = new HashMap<>();

    public RelayHome(Map<String, String> extraEnv) throws IOException {
        database = TestDatabase.create();
        home = Files.createTempDirectory("krafter-relay-test");
        Path root = TestDatabase.repositoryRoot();
        copyTree(root.resolve("james-conf/conf"), home.resolve("conf"));
        RelayFixture.run(root.resolve("bin/krafter-tls").toString(), home.resolve("var/tls").toString());
        env.put("KRAFTER_HOME", home.toString());
        env.put("KRAFTER_SMTP_BIND", "127.0.0.1");
        env.put("KRAFTER_SMTP_PORT", "0");
        env.put("KRAFTER_DB_URL", database.url());
        env.put("KRAFTER_DB_USER", database.user());
        env.put("KRAFTER_DB_PASSWORD", database.password());
        env.putAll(extraEnv);
    }

    public Map<String, String> env() {
        return Map.copyOf(env);
    }

    public RelaySettings settings() {
        return RelaySettings.fromEnvironment(env);
    }

    public TestDatabase database() {
        return database;
    }

    public Path path() {
        return home;
    }

    @Override
    public void close() throws IOException {
        database.close();
        try (Stream<Path> paths = Files.walk(home)) {
            paths.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
