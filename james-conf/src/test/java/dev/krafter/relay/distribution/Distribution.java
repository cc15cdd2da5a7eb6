package dev.krafter.relay.distribution;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import dev.krafter.relay.server.RelayProcess;

/**
 * The assembled distribution ({@code target/krafter-relay-<version>.tar.gz}) unpacked into a
 * temporary directory, as an admin would, and run with its own {@code bin/krafter-relay}: its
 * {@code conf/}, {@code lib/}, {@code extensions-jars/} and {@code var/}. Only the database is given
 * (KRAFTER_DB_*, a test database) and SMTPS goes to a free loopback port; TLS is the launcher's
 * embedded default (a self-signed certificate written to the distribution's var/tls).
 */
final class Distribution implements AutoCloseable {

    private final Path parent;
    private final Path dir;
    private final Path pristineConf;

    private Distribution(Path parent, Path dir, Path pristineConf) {
        this.parent = parent;
        this.dir = dir;
        this.pristineConf = pristineConf;
    }

    /** Unpacks the archive Maven built (failsafe passes its path) with tar, keeping the file modes. */
    static Distribution unpack() throws IOException, InterruptedException {
        Path archive = Path.of(System.getProperty("krafter.distribution.archive",
            "target/krafter-relay-0.1.0-SNAPSHOT.tar.gz")).toAbsolutePath();
        String name = System.getProperty("krafter.distribution.name", "krafter-relay-0.1.0-SNAPSHOT");
        if (!Files.isRegularFile(archive)) {
            throw new IllegalStateException(archive + " is missing: build it with mvn package (the assembly runs in the package phase)");
        }
        Path parent = Files.createTempDirectory("krafter-distribution");
        Process tar = new ProcessBuilder("tar", "-xzf", archive.toString(), "-C", parent.toString())
            .redirectErrorStream(true).start();
        String output = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (tar.waitFor() != 0) {
            throw new IllegalStateException("tar -xzf " + archive + " failed: " + output);
        }
        Path dir = parent.resolve(name);
        Path pristine = parent.resolve("conf.pristine");
        copyTree(dir.resolve("conf"), pristine);
        return new Distribution(parent, dir, pristine);
    }

    Path dir() {
        return dir;
    }

    Path conf(String file) {
        return dir.resolve("conf").resolve(file);
    }

    Path extensionsJars() {
        return dir.resolve("extensions-jars");
    }

    Path certificate() {
        return dir.resolve("var/tls/cert.pem");
    }

    Path outbox() {
        return dir.resolve("var/outbox");
    }

    /** conf/ as shipped, no extension jars, an empty var/: every test starts from the distribution as unpacked. */
    void reset() throws IOException {
        deleteTree(dir.resolve("conf"));
        copyTree(pristineConf, dir.resolve("conf"));
        deleteTree(dir.resolve("var"));
        Files.createDirectories(dir.resolve("var"));
        try (Stream<Path> jars = Files.list(extensionsJars())) {
            for (Path jar : (Iterable<Path>) jars::iterator) {
                if (jar.toString().endsWith(".jar")) {
                    Files.delete(jar);
                }
            }
        }
    }

    /** Replaces the one occurrence of {@code before} in a conf file; fails if it is not there exactly once. */
    void edit(String file, String before, String after) throws IOException {
        Path path = conf(file);
        String text = Files.readString(path);
        int at = text.indexOf(before);
        if (at < 0 || text.indexOf(before, at + 1) >= 0) {
            throw new IllegalArgumentException(file + " does not contain exactly one " + before);
        }
        Files.writeString(path, text.substring(0, at) + after + text.substring(at + before.length()));
    }

    /** The launcher's environment: ours only (no KRAFTER_* of the machine), Java from this JVM. */
    Map<String, String> environment(Map<String, String> settings) {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.keySet().removeIf(k -> k.startsWith("KRAFTER_") || k.startsWith("AWS_"));
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.put("KRAFTER_JAVA_OPTS", "-Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
        env.put("KRAFTER_SMTP_BIND", "127.0.0.1");
        env.put("KRAFTER_SMTP_PORT", "0");
        env.putAll(settings);
        return env;
    }

    /** {@code bin/krafter-relay run} from the distribution's directory, until it says it listens. */
    RelayProcess start(Map<String, String> settings) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(dir.resolve("bin/krafter-relay").toString(), "run")
            .directory(dir.toFile()).redirectErrorStream(true);
        builder.environment().clear();
        builder.environment().putAll(environment(settings));
        return RelayProcess.attach(builder.start());
    }

    /** A start that is expected to fail: its exit code and everything it printed. */
    Exit startExpectingFailure(Map<String, String> settings) throws IOException, InterruptedException {
        Path output = Files.createTempFile(parent, "start", ".out");
        ProcessBuilder builder = new ProcessBuilder(dir.resolve("bin/krafter-relay").toString(), "run")
            .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(output.toFile());
        builder.environment().clear();
        builder.environment().putAll(environment(settings));
        Process process = builder.start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("the relay was expected to refuse to start, and it still runs after 60 s:\n"
                + Files.readString(output));
        }
        return new Exit(process.exitValue(), Files.readString(output));
    }

    record Exit(int code, String output) {
    }

    @Override
    public void close() throws IOException {
        deleteTree(parent);
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
