package dev.krafter.relay.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.Test;

import dev.krafter.relay.db.TestDatabase;
import dev.krafter.relay.server.Clients;
import dev.krafter.relay.server.RelayFixture;
import dev.krafter.relay.server.SmtpsClient;

/**
 * Certificate renewal without a restart: the PEM files are replaced while the relay runs
 * (KRAFTER_TLS_RELOAD_SECONDS 1 here; 60 by default); new connections get the new certificate within
 * a few checks, a connection opened before keeps working and sends, and a broken key file leaves the
 * current certificate in use.
 */
class CertificateReloadTest {

    @Test
    void renewedPemFilesAreServedToNewConnectionsWithoutARestart() throws Exception {
        try (RelayFixture relay = RelayFixture.start(Map.of("KRAFTER_TLS_RELOAD_SECONDS", "1"))) {
            String key = relay.newKey("acme");
            Path tls = relay.certificate().getParent();
            Path oldCert = Files.copy(relay.certificate(), relay.home().resolve("old-cert.pem"));
            String oldSerial = serial(relay.port(), oldCert);

            try (SmtpsClient before = relay.connect().login(key)) {
                // a renewal: new key pair and certificate, written next to the old ones and moved in place
                Path renewed = relay.home().resolve("renewed");
                Clients.Result made = Clients.run(Duration.ofSeconds(60), Map.of(),
                    TestDatabase.repositoryRoot().resolve("bin/krafter-tls").toString(), renewed.toString());
                assertThat(made.exitCode()).as(made.output()).isZero();
                Files.move(renewed.resolve("key.pem"), tls.resolve("key.pem"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                Files.move(renewed.resolve("cert.pem"), tls.resolve("cert.pem"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

                long t0 = System.nanoTime();
                String newSerial = null;
                while (System.nanoTime() - t0 < Duration.ofSeconds(20).toNanos()) {
                    try {
                        newSerial = serial(relay.port(), tls.resolve("cert.pem"));
                        break;
                    } catch (IOException notYet) { // still the old certificate: not trusted by this client
                        Thread.sleep(250);
                    }
                }
                long millis = (System.nanoTime() - t0) / 1_000_000;
                System.out.printf("certificate reload: new certificate served %d ms after the files were replaced (check every 1 s)%n", millis);
                assertThat(newSerial).as("new certificate served").isNotNull().isNotEqualTo(oldSerial);

                // the connection opened before the renewal goes on
                assertThat(before.send("a@yourdomain.com", List.of("b@example.com"), "Subject: before\r\n\r\nhi\r\n".getBytes()))
                    .startsWith("250 2.0.0 OK id=");
            }
            try (SmtpsClient after = SmtpsClient.connect(relay.port(), relay.certificate()).login(key)) {
                assertThat(after.send("a@yourdomain.com", List.of("b@example.com"), "Subject: after\r\n\r\nhi\r\n".getBytes()))
                    .startsWith("250 2.0.0 OK id=");
            }

            // a broken key: the reload fails, the current certificate stays
            String current = serial(relay.port(), relay.certificate());
            Files.writeString(tls.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n");
            Thread.sleep(3500);
            assertThat(serial(relay.port(), relay.certificate())).isEqualTo(current);
        }
    }

    /** The serial number of the certificate the relay presents, over a connection trusting only {@code trusted}. */
    private static String serial(int port, Path trusted) throws IOException {
        try (SSLSocket socket = (SSLSocket) SmtpsClient.sslContext(trusted).getSocketFactory().createSocket("localhost", port)) {
            socket.setSoTimeout(10_000);
            socket.startHandshake();
            return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber().toString(16);
        }
    }
}
