package dev.krafter.relay.clients;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.krafter.relay.server.Clients;

/**
 * Jakarta Mail (Eclipse Angus Mail 2.0) with mail.smtp.ssl.enable=true, in its own JVM
 * (src/test/clients/jakarta/JakartaMailSend.java, run as a single-file program), trusting the relay's
 * certificate through a PKCS#12 trust store made with keytool.
 */
class JakartaMailTest extends ClientContract {

    @Override
    protected List<String> command(Path ca) throws Exception {
        Path trustStore = scratch.resolve("truststore-" + Math.abs(ca.hashCode()) + ".p12");
        if (!Files.exists(trustStore)) {
            Clients.Result keytool = Clients.run(Duration.ofSeconds(60), Map.of(), "keytool", "-importcert", "-noprompt",
                "-alias", "krafter-relay", "-file", ca.toString(),
                "-keystore", trustStore.toString(), "-storetype", "PKCS12", "-storepass", "changeit");
            if (keytool.exitCode() != 0) {
                throw new IllegalStateException("keytool failed: " + keytool.output());
            }
        }
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Djavax.net.ssl.trustStore=" + trustStore, "-Djavax.net.ssl.trustStorePassword=changeit",
            "-cp", classPath(), Clients.script("jakarta/JakartaMailSend.java").toString());
    }

    @Override
    protected boolean showsRelayReply() {
        return true;
    }

    /** The jars of Jakarta Mail and Activation (API and Angus implementations) from the test class path. */
    private static String classPath() throws Exception {
        List<String> jars = new ArrayList<>();
        for (String name : List.of("jakarta.mail.Session", "org.eclipse.angus.mail.smtp.SMTPTransport",
                "jakarta.activation.DataHandler", "org.eclipse.angus.activation.MailcapRegistryProviderImpl")) {
            jars.add(Path.of(Class.forName(name).getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        }
        return String.join(File.pathSeparator, jars);
    }
}
