package dev.krafter.relay.clients;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeAll;

import dev.krafter.relay.db.TestDatabase;
import dev.krafter.relay.server.Clients;

/**
 * Nodemailer with secure: true and tls.ca (src/test/clients/nodemailer). The version pinned in its
 * package-lock.json is installed from the npm registry into james-conf/target/clients/nodemailer
 * (npm ci, cached in ~/.npm) before the first test.
 */
class NodemailerTest extends ClientContract {
    private static final Path SOURCE = Clients.script("nodemailer");
    private static final Path INSTALL = TestDatabase.repositoryRoot().resolve("james-conf/target/clients/nodemailer");

    @BeforeAll
    static void install() throws Exception {
        Files.createDirectories(INSTALL);
        boolean lockChanged = !Files.exists(INSTALL.resolve("package-lock.json"))
            || Files.mismatch(SOURCE.resolve("package-lock.json"), INSTALL.resolve("package-lock.json")) != -1;
        for (String file : List.of("package.json", "package-lock.json", "nodemailer_send.mjs")) {
            Files.copy(SOURCE.resolve(file), INSTALL.resolve(file), StandardCopyOption.REPLACE_EXISTING);
        }
        if (lockChanged || !Files.exists(INSTALL.resolve("node_modules/nodemailer/package.json"))) {
            long started = System.nanoTime();
            Clients.Result npm = Clients.run(Duration.ofMinutes(5), Map.of(), "npm", "ci", "--prefix", INSTALL.toString(),
                "--no-audit", "--no-fund", "--prefer-offline");
            if (npm.exitCode() != 0) {
                throw new IllegalStateException("npm ci failed:\n" + npm.output());
            }
            System.out.printf("NodemailerTest: npm ci took %d ms%n", Duration.ofNanos(System.nanoTime() - started).toMillis());
        }
    }

    @Override
    protected List<String> command(Path ca) {
        return List.of("node", INSTALL.resolve("nodemailer_send.mjs").toString());
    }

    @Override
    protected boolean showsRelayReply() {
        return true;
    }
}
