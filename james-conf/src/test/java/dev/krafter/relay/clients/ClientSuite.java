package dev.krafter.relay.clients;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import dev.krafter.relay.apikey.ApiKeySecret;
import dev.krafter.relay.db.TestDatabase;
import dev.krafter.relay.server.Clients;
import dev.krafter.relay.server.RelayFixture;
import dev.krafter.relay.ses.SesStandIn;

/**
 * One relay delivering to one SES stand-in for the whole client suite: started before the first
 * client test class, stopped when JUnit has run them all. Every message carries its own token, so
 * the tests do not see each other's deliveries.
 */
final class ClientSuite implements BeforeAllCallback {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(ClientSuite.class);
    private static volatile Shared shared;

    /**
     * What the client tests use. {@code otherCertificate}: a self-signed localhost certificate the relay
     * does not have; {@code revokedKey} and {@code noScopeKey}: keys the relay knows but refuses.
     */
    record Shared(SesStandIn ses, RelayFixture relay, String key, String revokedKey, String noScopeKey, Path otherCertificate,
                  Path scratch) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            try (ses; relay) {
                shared = null;
            } finally {
                try (Stream<Path> paths = Files.walk(scratch)) {
                    paths.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent(Shared.class, k -> start(), Shared.class);
    }

    static Shared shared() {
        if (shared == null) {
            throw new IllegalStateException("ClientSuite not started: annotate the test class with @ExtendWith(ClientSuite.class)");
        }
        return shared;
    }

    private static Shared start() {
        SesStandIn ses = SesStandIn.accepting();
        try {
            // The relay's SES client takes credentials from the SDK's default chain; system properties are part of it.
            System.setProperty("aws.accessKeyId", "AKIDKRAFTERCLIENTSUITE");
            System.setProperty("aws.secretAccessKey", "client-suite-secret");
            RelayFixture relay = RelayFixture.start(Map.of(
                "KRAFTER_SES_ENDPOINT", ses.endpoint(),
                "KRAFTER_SES_REGION", "us-east-1"));
            try {
                Path scratch = Files.createTempDirectory("krafter-client-suite");
                Clients.Result tls = Clients.run(Duration.ofSeconds(60), Map.of(),
                    TestDatabase.repositoryRoot().resolve("bin/krafter-tls").toString(), scratch.resolve("other-tls").toString());
                if (tls.exitCode() != 0) {
                    throw new IllegalStateException("bin/krafter-tls failed: " + tls.output());
                }
                String revoked = relay.newKey("acme-revoked");
                relay.keys().revoke(revoked.substring(0, ApiKeySecret.LIVE.length() + 4));
                String noScope = relay.newKey("acme", Set.of("mail:read"), Set.of("transactional")).secret().value();
                shared = new Shared(ses, relay, relay.newKey("acme"), revoked, noScope, scratch.resolve("other-tls/cert.pem"), scratch);
                return shared;
            } catch (Exception e) {
                relay.close();
                throw e;
            }
        } catch (IOException e) {
            ses.close();
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            ses.close();
            throw new IllegalStateException("client suite relay did not start", e);
        }
    }
}
