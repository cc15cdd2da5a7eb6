package dev.krafter.relay.pacing;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import org.apache.james.metrics.api.GaugeRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this node's SendEmail calls to its share of the account's MaxSendRate and says whether MAIL
 * should be refused for the backlog. The share is MaxSendRate divided by the live nodes, each node
 * pacing itself with a local {@link TokenBucket}: no database round trip per send, no hot row. The
 * quota (SES GetAccount), the spool depth and the live nodes are read in the background; the SMTP
 * hook and the spooler threads only read the cached {@link State}.
 *
 * <p>Without a quota — outbox mode, or GetAccount refused — nothing is paced and MAIL is never refused.
 */
public final class SendPacer implements AutoCloseable {
    public static final String MAX_SEND_RATE = "krafter_ses_max_send_rate";
    public static final String NODE_SEND_RATE = "krafter_ses_node_send_rate";
    public static final String MAX_24H_SEND = "krafter_ses_max_24h_send";
    public static final String SENT_LAST_24H = "krafter_ses_sent_last_24h";
    public static final String LIVE_NODES = "krafter_ses_pacing_nodes";
    public static final String DRAIN_SECONDS = "krafter_backlog_drain_seconds";
    public static final String RATE_LIMIT_ACTIVE = "krafter_smtp_rate_limit_active";

    /** The bucket holds one token: sends stay evenly spaced, SES sees at most rate × t + 1 in any t. */
    static final double BURST = 1;

    private static final Logger LOGGER = LoggerFactory.getLogger(SendPacer.class);

    /** Reads the account's quota; throws when SES does not answer or refuses (no permission). */
    @FunctionalInterface
    public interface QuotaSource {
        SendQuota read() throws Exception;
    }

    /** Reads the spool depth and live nodes; throws when the database does not answer. */
    @FunctionalInterface
    public interface LoadSource {
        SpoolLoad read() throws Exception;
    }

    /** What the pacer knows now. {@code nodeRate} is 0 when unpaced. */
    public record State(Optional<SendQuota> quota, SpoolLoad load, double nodeRate, Backlog backlog) {
        static final State UNPACED = new State(Optional.empty(), SpoolLoad.UNKNOWN, 0, Backlog.OPEN);
    }

    private final PacingSettings settings;
    private final QuotaSource quotaSource;
    private final LoadSource loadSource;
    private final LongSupplier nanoClock;
    private final ScheduledExecutorService timer;

    private volatile State state = State.UNPACED;
    private volatile TokenBucket bucket;
    private volatile SpoolLoad load = SpoolLoad.UNKNOWN;
    private volatile Optional<SendQuota> quota = Optional.empty();
    private boolean quotaFailureLogged;
    private boolean loadFailureLogged;

    public SendPacer(PacingSettings settings, QuotaSource quotaSource, LoadSource loadSource, LongSupplier nanoClock) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.quotaSource = Objects.requireNonNull(quotaSource, "quotaSource");
        this.loadSource = Objects.requireNonNull(loadSource, "loadSource");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "krafter-ses-pacing");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** A pacer that never paces nor refuses (outbox mode: there is no SES quota to respect). */
    public static SendPacer unpaced() {
        return new SendPacer(PacingSettings.fromEnvironment(java.util.Map.of(), Duration.ofSeconds(60)),
            () -> {
                throw new IllegalStateException("no SES");
            }, () -> SpoolLoad.UNKNOWN, System::nanoTime);
    }

    /** Reads the quota once now, then keeps quota and load fresh in the background. */
    public SendPacer start() {
        refreshQuota();
        refreshLoad();
        timer.scheduleWithFixedDelay(this::refreshQuota, settings.quotaRefresh().toMillis(),
            settings.quotaRefresh().toMillis(), TimeUnit.MILLISECONDS);
        timer.scheduleWithFixedDelay(this::refreshLoad, settings.stateRefresh().toMillis(),
            settings.stateRefresh().toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    public State state() {
        return state;
    }

    /**
     * Waits for this send's turn when it comes within {@code maxWait} and returns empty: send now.
     * Otherwise returns how long the mail should wait in the queue instead (no token taken), so that
     * a long line does not hold spooler threads asleep.
     */
    public Optional<Duration> awaitTurn() {
        TokenBucket current = bucket;
        if (current == null) {
            return Optional.empty();
        }
        long now = nanoClock.getAsLong();
        Optional<Duration> wait = current.reserve(now, settings.maxWait());
        if (wait.isEmpty()) {
            return Optional.of(current.waitFor(now));
        }
        sleep(wait.get());
        return Optional.empty();
    }

    public void register(GaugeRegistry gauges) {
        gauges.register(MAX_SEND_RATE, () -> state.quota().map(SendQuota::maxSendRate).orElse(-1d));
        gauges.register(NODE_SEND_RATE, () -> state.nodeRate());
        gauges.register(MAX_24H_SEND, () -> state.quota().map(SendQuota::max24HourSend).orElse(-1d));
        gauges.register(SENT_LAST_24H, () -> state.quota().map(SendQuota::sentLast24Hours).orElse(-1d));
        gauges.register(LIVE_NODES, () -> state.load().liveNodes());
        gauges.register(DRAIN_SECONDS, () -> state.backlog().drainSeconds());
        gauges.register(RATE_LIMIT_ACTIVE, () -> state.backlog().limited() ? 1 : 0);
    }

    synchronized void refreshQuota() {
        try {
            SendQuota read = quotaSource.read();
            if (!(read.maxSendRate() > 0)) {
                throw new IllegalStateException("GetAccount gave no MaxSendRate: " + read);
            }
            if (quota.isEmpty() || quotaFailureLogged) {
                LOGGER.info("SES quota: {} messages/s, {} per 24 h ({} sent); pacing SendEmail to it",
                    read.maxSendRate(), read.max24HourSend(), read.sentLast24Hours());
            }
            quotaFailureLogged = false;
            quota = Optional.of(read);
        } catch (Exception e) {
            if (!quotaFailureLogged) {
                quotaFailureLogged = true;
                LOGGER.warn("SES GetAccount failed ({}): {}", e.getMessage(), quota.isEmpty()
                    ? "sending unpaced and MAIL is never refused for the rate until it answers"
                    : "keeping the last quota read");
            }
        }
        publish();
    }

    synchronized void refreshLoad() {
        try {
            load = loadSource.read();
            loadFailureLogged = false;
        } catch (Exception e) {
            if (!loadFailureLogged) {
                loadFailureLogged = true;
                LOGGER.warn("pacing: spool depth and live nodes unreadable ({}); keeping the last node count", e.getMessage());
            }
            load = new SpoolLoad(-1, load.liveNodes());
        }
        publish();
    }

    private void publish() {
        Optional<SendQuota> q = quota;
        SpoolLoad l = load;
        double nodeRate = q.map(SendQuota::maxSendRate).orElse(0d) / l.liveNodes();
        if (q.isPresent()) {
            long now = nanoClock.getAsLong();
            if (bucket == null) {
                // A node that has just joined sends nothing for one refresh: by then every other node
                // has counted it and lowered its own share, so the sum never goes over MaxSendRate.
                double owed = BURST - nodeRate * settings.stateRefresh().toNanos() / 1e9;
                bucket = new TokenBucket(nodeRate, BURST, owed, now);
            } else if (bucket.rate() != nodeRate) {
                bucket.rate(nodeRate, now);
            }
        }
        state = new State(q, l, nodeRate, Backlog.decide(l.depth(), q, settings.maxDrain()));
    }

    private static void sleep(Duration wait) {
        if (wait.isZero()) {
            return;
        }
        // Uninterruptible, as ByteBudget: the wait is bounded by maxWait, and an interrupt must not
        // turn a deliverable mail into a failure.
        long deadline = System.nanoTime() + wait.toNanos();
        boolean interrupted = false;
        long left;
        while ((left = deadline - System.nanoTime()) > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(left);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
