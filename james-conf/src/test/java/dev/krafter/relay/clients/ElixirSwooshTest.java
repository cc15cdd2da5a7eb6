package dev.krafter.relay.clients;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;

import dev.krafter.relay.db.TestDatabase;
import dev.krafter.relay.server.Clients;

/**
 * Swoosh's SMTP adapter (gen_smtp underneath) with ssl: true, tls: :never, auth: :always
 * (src/test/clients/swoosh/swoosh_send.exs). Hex is out of reach, so Swoosh 1.19.7, gen_smtp 1.2.0,
 * mime 2.0.7 and telemetry 1.3.0 are built from the release sources in ../shared/vendor/elixir
 * beside the clone (src/test/clients/swoosh/build.sh, Debian's elixir and erlang) into
 * james-conf/target/clients/swoosh, again only when the sources or the build script are newer.
 */
class ElixirSwooshTest extends ClientContract {
    private static final Path VENDOR = vendor();
    private static final Path BUILD_SCRIPT = Clients.script("swoosh/build.sh");
    private static final Path OUT = TestDatabase.repositoryRoot().resolve("james-conf/target/clients/swoosh");

    @BeforeAll
    static void build() throws Exception {
        if (!Files.isDirectory(VENDOR)) {
            throw new IllegalStateException("Swoosh sources not found: " + VENDOR + " (see src/test/clients/swoosh/build.sh)");
        }
        Path stamp = OUT.resolve("built");
        if (Files.exists(stamp) && !newerThan(stamp)) {
            return;
        }
        long started = System.nanoTime();
        Clients.Result build = Clients.run(Duration.ofMinutes(5), Map.of(), "sh", BUILD_SCRIPT.toString(), VENDOR.toString(), OUT.toString());
        if (build.exitCode() != 0 || !Files.exists(stamp)) {
            throw new IllegalStateException("building Swoosh failed:\n" + build.output());
        }
        System.out.printf("ElixirSwooshTest: build took %d ms%n", Duration.ofNanos(System.nanoTime() - started).toMillis());
    }

    /**
     * {@code <clone root>/../shared/vendor/elixir}; in a git worktree (its .git a "gitdir: <main>/.git/worktrees/<name>"
     * file) the main clone's root counts.
     */
    private static Path vendor() {
        Path root = TestDatabase.repositoryRoot();
        Path beside = root.resolve("../shared/vendor/elixir").normalize();
        Path dotGit = root.resolve(".git");
        if (Files.isDirectory(beside) || !Files.isRegularFile(dotGit)) {
            return beside;
        }
        try {
            String gitdir = Files.readString(dotGit).strip().replaceFirst("^gitdir: ", "");
            int worktrees = gitdir.lastIndexOf("/.git/worktrees/");
            return worktrees < 0 ? beside : Path.of(gitdir.substring(0, worktrees)).resolve("../shared/vendor/elixir").normalize();
        } catch (IOException e) {
            return beside;
        }
    }

    /** Whether a vendored tarball or the build script changed after the last build. */
    private static boolean newerThan(Path stamp) throws IOException {
        long built = Files.getLastModifiedTime(stamp).toMillis();
        try (Stream<Path> sources = Stream.concat(Files.list(VENDOR), Stream.of(BUILD_SCRIPT))) {
            return sources.anyMatch(p -> p.toFile().lastModified() > built);
        }
    }

    @Override
    protected List<String> command(Path ca) {
        return List.of("elixir", "-pa", OUT.resolve("ebin").toString(), Clients.script("swoosh/swoosh_send.exs").toString());
    }

    @Override
    protected boolean showsRelayReply() {
        return true;
    }
}
