package dev.krafter.relay.server;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.apache.commons.configuration2.BaseHierarchicalConfiguration;
import org.apache.james.GuiceJamesServer;
import org.apache.james.NaiveDelegationStoreModule;
import org.apache.james.mailetcontainer.api.MailetLoader;
import org.apache.james.mailetcontainer.api.MatcherLoader;
import org.apache.james.modules.MailetProcessingModule;
import org.apache.james.modules.protocols.ProtocolHandlerModule;
import org.apache.james.modules.protocols.SMTPServerModule;
import org.apache.james.modules.protocols.SmtpGuiceProbe;
import org.apache.james.modules.server.MailetContainerModule;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.RawMailQueueItemDecoratorFactory;
import org.apache.james.server.core.configuration.Configuration;
import org.apache.james.utils.WebAdminGuiceProbe;
import org.apache.james.smtpserver.netty.SMTPServerFactory;

import com.google.inject.Scopes;

import dev.krafter.relay.db.Database;
import dev.krafter.relay.mailets.DeliveryOutcome;
import dev.krafter.relay.memory.RestingMemory;
import dev.krafter.relay.pacing.InFlow;
import dev.krafter.relay.queue.PostgresMailQueueFactory;
import dev.krafter.relay.queue.QueueGauges;
import dev.krafter.relay.server.startup.LegacyQueueStore;
import dev.krafter.relay.server.startup.LocatingLoaders;
import dev.krafter.relay.server.startup.PipelineCheck;
import dev.krafter.relay.server.startup.StartupErrors;
import dev.krafter.relay.server.startup.StartupFailure;
import dev.krafter.relay.webadmin.AdminModule;
import dev.krafter.relay.webadmin.AdminSettings;

/**
 * The relay: James's Guice server with only what an SMTPS submission relay needs — the SMTP
 * server, the mailet container, the spool queue in PostgreSQL, DNS, metrics, WebAdmin (on loopback, only with
 * an admin token) — plus Krafter's module. No IMAP, POP3, JMAP, LMTP or mailboxes.
 */
public final class KrafterRelayServer implements AutoCloseable {
    private final GuiceJamesServer james;
    private final Database database;
    private final PostgresMailQueueFactory queues;
    private final KrafterModule krafter;
    private final AdminSettings admin;
    private final Optional<TlsCertificateWatcher> tlsWatcher;
    private final Optional<RestingMemory> restingMemory;

    private KrafterRelayServer(GuiceJamesServer james, Database database, PostgresMailQueueFactory queues,
                               KrafterModule krafter, RelaySettings settings, AdminSettings admin, boolean restWhenIdle) {
        this.james = james;
        this.database = database;
        this.queues = queues;
        this.krafter = krafter;
        this.admin = admin;
        Duration interval = settings.tlsReloadInterval();
        TlsReloadProbe tls = james.getProbe(TlsReloadProbe.class);
        this.tlsWatcher = interval.isZero() || interval.isNegative() ? Optional.empty()
            : Optional.of(new TlsCertificateWatcher(settings.tlsCert(), settings.tlsKey(), interval, tls::reloadCertificates));
        this.restingMemory = restWhenIdle ? Optional.of(RestingMemory.start()) : Optional.empty();
    }

    /**
     * Starts the relay. A configuration mistake in the mail pipeline (mailetcontainer.xml,
     * extensions.properties) is thrown as a {@link StartupFailure} that names the file, the element
     * and the fix; other failures are thrown as they come.
     */
    public static KrafterRelayServer start(RelaySettings settings) throws Exception {
        settings.systemProperties().forEach(System::setProperty);
        AdminSettings admin = AdminSettings.fromEnvironment(settings.environment());
        boolean restWhenIdle = settings.returnMemoryWhenIdle();
        admin.systemProperties().forEach(System::setProperty);
        // A start-up error is the caller's to report (the CLI prints it and exits 1); James would System.exit.
        System.setProperty("james.exit.on.startup.error", System.getProperty("james.exit.on.startup.error", "false"));
        // A misconfigured pipeline fails here, before the database, the queue or a port is touched.
        PipelineCheck.check(settings.home(), settings.confDir());
        LegacyQueueStore.check(settings.home());
        Database database = Database.connect(settings.database());
        PostgresMailQueueFactory queues = null;
        try {
            database.migrate();
            InFlow inFlow = new InFlow(InFlow.DEFAULT_CAP);
            queues = new PostgresMailQueueFactory(database.dataSource(), database::connectDirect,
                settings.queue(NodeIdentity.of(settings.home(), settings.environment())),
                new DeliveryOutcome(), new RawMailQueueItemDecoratorFactory(), inFlow);
            QueueGauges gauges = new QueueGauges(database.dataSource(), MailQueueFactory.SPOOL.asString(), Clock.systemUTC());
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
                    new SpoolQueueModule(queues, gauges, inFlow),
                    new ProtocolHandlerModule(),
                    new SMTPServerModule(),
                    new AdminModule(admin),
                    binder -> binder.bind(MailetContainerModule.DefaultProcessorsConfigurationSupplier.class)
                        .toInstance(BaseHierarchicalConfiguration::new),
                    krafter)
                // James's loaders, reporting which mailet or matcher failed to build (StartupErrors).
                .overrideWith(binder -> {
                    // The idle timeout closes after the value, with a 421 (RelaySmtpServerFactory).
                    binder.bind(SMTPServerFactory.class).to(RelaySmtpServerFactory.class).in(Scopes.SINGLETON);
                    binder.bind(MailetLoader.class).to(LocatingLoaders.Mailets.class);
                    binder.bind(MatcherLoader.class).to(LocatingLoaders.Matchers.class);
                });
            try {
                james.start();
            } catch (Exception e) {
                james.stop();
                krafter.close();
                queues.close();
                Optional<StartupFailure> failure = StartupErrors.translate(e, settings.home(), settings.confDir());
                if (failure.isPresent()) {
                    throw failure.get();
                }
                throw e;
            }
            return new KrafterRelayServer(james, database, queues, krafter, settings, admin, restWhenIdle);
        } catch (Exception e) {
            if (queues != null) {
                queues.close();
            }
            database.close();
            throw e;
        }
    }

    /** The port SMTPS actually listens on (useful with port 0 in tests). */
    public int smtpsPort() {
        return james.getProbe(SmtpGuiceProbe.class).getSmtpSslPort().getValue();
    }

    /** The port WebAdmin listens on; empty when it is off (no KRAFTER_ADMIN_TOKEN). */
    public Optional<Integer> adminPort() {
        return admin.enabled()
            ? Optional.of(james.getProbe(WebAdminGuiceProbe.class).getWebAdminPort().getValue())
            : Optional.empty();
    }

    public AdminSettings adminSettings() {
        return admin;
    }

    /** Which TLS the SMTP server uses: "BoringSSL …" or "JDK" (KRAFTER_TLS_PROVIDER). */
    public List<String> tlsImplementations() {
        return james.getProbe(TlsReloadProbe.class).tlsImplementations();
    }

    /** The relay's metrics and queue, as a running server holds them. */
    public RelayProbe probe() {
        return james.getProbe(RelayProbe.class);
    }

    public Database database() {
        return database;
    }

    @Override
    public void close() {
        tlsWatcher.ifPresent(TlsCertificateWatcher::close);
        restingMemory.ifPresent(RestingMemory::close);
        try {
            james.stop();
        } finally {
            queues.close();
            krafter.close();
            database.close();
        }
    }
}
