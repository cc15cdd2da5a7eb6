package dev.krafter.relay.server;

import org.apache.commons.configuration2.BaseHierarchicalConfiguration;
import org.apache.james.GuiceJamesServer;
import org.apache.james.NaiveDelegationStoreModule;
import org.apache.james.modules.MailetProcessingModule;
import org.apache.james.modules.protocols.ProtocolHandlerModule;
import org.apache.james.modules.protocols.SMTPServerModule;
import org.apache.james.modules.protocols.SmtpGuiceProbe;
import org.apache.james.modules.server.MailetContainerModule;
import org.apache.james.modules.server.RawPostDequeueDecoratorModule;
import org.apache.james.server.core.configuration.Configuration;

import dev.krafter.relay.db.Database;

/**
 * The relay: James's Guice server with only what an SMTPS submission relay needs — the SMTP
 * server, the mailet container, the durable queue, DNS, metrics — plus Krafter's module.
 * No IMAP, POP3, JMAP, LMTP or mailboxes.
 */
public final class KrafterRelayServer implements AutoCloseable {
    private final GuiceJamesServer james;
    private final Database database;
    private final KrafterModule krafter;

    private KrafterRelayServer(GuiceJamesServer james, Database database, KrafterModule krafter) {
        this.james = james;
        this.database = database;
        this.krafter = krafter;
    }

    public static KrafterRelayServer start(RelaySettings settings) throws Exception {
        settings.systemProperties().forEach(System::setProperty);
        // A start-up error is the caller's to report (the CLI prints it and exits 1); James would System.exit.
        System.setProperty("james.exit.on.startup.error", System.getProperty("james.exit.on.startup.error", "false"));
        Database database = Database.connect(settings.database());
        try {
            database.migrate();
            Configuration configuration = Configuration.builder()
                .workingDirectory(settings.home().toFile())
                .configurationPath(new Configuration.ConfigurationPath("file://" + settings.confDir() + "/"))
                .build();
            KrafterModule krafter = new KrafterModule(settings, database);
            GuiceJamesServer james = GuiceJamesServer.forConfiguration(configuration)
                .combineWith(
                    new RelayDataModule(),
                    new NaiveDelegationStoreModule(),
                    new MailetProcessingModule(),
                    new DurableQueueModule(),
                    new RawPostDequeueDecoratorModule(),
                    new ProtocolHandlerModule(),
                    new SMTPServerModule(),
                    binder -> binder.bind(MailetContainerModule.DefaultProcessorsConfigurationSupplier.class)
                        .toInstance(BaseHierarchicalConfiguration::new),
                    krafter);
            try {
                james.start();
            } catch (Exception e) {
                james.stop();
                krafter.close();
                throw e;
            }
            return new KrafterRelayServer(james, database, krafter);
        } catch (Exception e) {
            database.close();
            throw e;
        }
    }

    /** The port SMTPS actually listens on (useful with port 0 in tests). */
    public int smtpsPort() {
        return james.getProbe(SmtpGuiceProbe.class).getSmtpSslPort().getValue();
    }

    public Database database() {
        return database;
    }

    @Override
    public void close() {
        try {
            james.stop();
        } finally {
            krafter.close();
            database.close();
        }
    }
}
