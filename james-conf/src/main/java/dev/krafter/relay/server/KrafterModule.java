package dev.krafter.relay.server;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import org.apache.james.metrics.api.GaugeRegistry;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.utils.GuiceProbe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.multibindings.Multibinder;

import dev.krafter.relay.apikey.ApiKeyAuthenticator;
import dev.krafter.relay.apikey.ApiKeyStore;
import dev.krafter.relay.db.Database;
import dev.krafter.relay.policy.ConfigurationSets;
import dev.krafter.relay.emails.EmailRecords;
import dev.krafter.relay.policy.SenderPolicy;
import dev.krafter.relay.emails.DeliveryRecords;
import dev.krafter.relay.pacing.PacingSettings;
import dev.krafter.relay.pacing.SendPacer;
import dev.krafter.relay.pacing.SpoolLoad;
import dev.krafter.relay.ses.SesClients;
import dev.krafter.relay.ses.SesGateway;
import dev.krafter.relay.ses.SesSettings;
import software.amazon.awssdk.services.sesv2.SesV2Client;

/** Krafter's own services: PostgreSQL, the API-key store, the sender policy and SES delivery. */
public class KrafterModule extends AbstractModule implements AutoCloseable {
    /** Revocation must take effect within 5 s; 2 s of caching keeps AUTH off the database. */
    static final Duration KEY_CACHE_TTL = Duration.ofSeconds(2);
    private static final Logger LOGGER = LoggerFactory.getLogger(KrafterModule.class);

    private final RelaySettings settings;
    private final Database database;
    private final PacingSettings pacing;
    private volatile SesV2Client sesClient;
    private final ScheduledExecutorService pruner = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "krafter-dedup-prune");
        thread.setDaemon(true);
        return thread;
    });
    private volatile SendPacer pacer;

    public KrafterModule(RelaySettings settings, Database database) {
        this.settings = settings;
        this.database = database;
        this.pacing = settings.pacing(); // a malformed setting fails the start here, before James
    }

    @Override
    protected void configure() {
        bind(RelaySettings.class).toInstance(settings);
        bind(Database.class).toInstance(database);
        bind(DataSource.class).toInstance(database.dataSource());
        Multibinder.newSetBinder(binder(), GuiceProbe.class).addBinding().to(RelayProbe.class);
        Multibinder.newSetBinder(binder(), GuiceProbe.class).addBinding().to(TlsReloadProbe.class);
    }

    @Provides
    @Singleton
    ApiKeyStore apiKeyStore(DataSource dataSource) {
        return new ApiKeyStore(dataSource, KEY_CACHE_TTL);
    }

    @Provides
    @Singleton
    ApiKeyAuthenticator authenticator(ApiKeyStore store) {
        return new ApiKeyAuthenticator(store);
    }

    @Provides
    @Singleton
    ConfigurationSets configurationSets() {
        return ConfigurationSets.fromEnv(settings.environment());
    }

    @Provides
    @Singleton
    SenderPolicy senderPolicy(ConfigurationSets configurationSets) {
        return new SenderPolicy(configurationSets);
    }

    /** The accept's store; what leaves the idempotency window is pruned every 10 minutes (any node may). */
    @Provides
    @Singleton
    EmailRecords emailRecords(DataSource dataSource) {
        EmailRecords records = new EmailRecords(dataSource, EmailRecords.DEFAULT_LOCK_TIMEOUT, settings.dedupWindow());
        if (!records.dedupWindow().isZero()) {
            pruner.scheduleWithFixedDelay(() -> {
                try {
                    records.pruneDedup();
                } catch (RuntimeException e) {
                    LOGGER.warn("could not prune idempotency keys ({}); next try in 10 minutes", e.getMessage());
                }
            }, 1, 10, TimeUnit.MINUTES);
        }
        return records;
    }

    @Provides
    @Singleton
    DeliveryRecords deliveryRecords(DataSource dataSource) {
        return new DeliveryRecords(dataSource);
    }

    /**
     * The process's one SES client. The "ses" processor is loaded even when the outbox is the
     * terminal step, so the client must build without AWS settings. Without KRAFTER_SES_REGION the
     * region is AWS_REGION, else us-east-1 — deliberately not the SDK's region chain, whose last
     * step asks the EC2 metadata service over the network at start-up.
     */
    @Provides
    @Singleton
    SesGateway sesGateway() {
        SesSettings ses = SesSettings.fromEnvironment(settings.environment());
        if (ses.region().isEmpty()) {
            ses = ses.withRegion(defaultRegion());
        }
        sesClient = SesClients.create(ses);
        return new SesGateway(sesClient);
    }

    /**
     * SendEmail paced to this node's share of the account's MaxSendRate, read with GetAccount on the
     * one SES client. Outbox mode has no quota to respect: nothing is paced, MAIL is never refused.
     */
    @Provides
    @Singleton
    SendPacer sendPacer(SesGateway gateway, DataSource dataSource, GaugeRegistry gauges) {
        SendPacer built = settings.sesConfigured()
            ? new SendPacer(pacing, gateway::quota,
                () -> SpoolLoad.read(dataSource, MailQueueFactory.SPOOL.asString(), pacing.nodeLease()), System::nanoTime).start()
            : SendPacer.unpaced();
        built.register(gauges);
        pacer = built;
        return built;
    }

    /** Stops the pacing timer and releases the SES client's connection pool (the database is closed by its owner). */
    @Override
    public void close() {
        pruner.shutdownNow();
        if (pacer != null) {
            pacer.close();
        }
        if (sesClient != null) {
            sesClient.close();
        }
    }

    private String defaultRegion() {
        String region = settings.environment().get("AWS_REGION");
        return region == null || region.isBlank() ? "us-east-1" : region.trim();
    }
}
