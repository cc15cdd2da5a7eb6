package dev.krafter.relay.events;

import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import javax.inject.Inject;
import javax.inject.Singleton;

import org.apache.james.metrics.api.Metric;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.metrics.api.TimeMetric;
import org.slf4j.LoggerFactory;

/**
 * What the relay decided, counted and logged in one call: each method increments James metrics
 * ({@link MetricFactory}: Dropwizard in the server, exported by GET /metrics on the admin port) and
 * writes one JSON line to the {@code krafter.events} log ({@link EventLog}). The hooks and mailets call
 * it once per decision and know nothing of either.
 *
 * <p>Metric names are Prometheus names already (Dropwizard has no labels, so a name per reason code).
 * Meters are exported as counters with {@code _total} appended, timers as summaries in seconds;
 * docs/operations.md lists them all. Nothing here ever receives an API key, a password or an AUTH
 * payload: keys appear as their display prefix only, recipients as a count.
 */
@Singleton
public class RelayEvents {
    public static final String AUTH_ACCEPTED = "krafter_auth_accepted";
    public static final String AUTH_FAILED = "krafter_auth_failed";
    public static final String SMTP_ACCEPTED = "krafter_smtp_accepted";
    public static final String SMTP_REJECTED = "krafter_smtp_rejected";
    public static final String SMTP_RCPT_REJECTED = "krafter_smtp_rcpt_rejected";
    public static final String SMTP_DEFERRED = "krafter_smtp_deferred";
    public static final String SMTP_DUPLICATE = "krafter_smtp_duplicate";
    public static final String SMTP_RATE_LIMITED = "krafter_smtp_rate_limited";
    public static final String SMTP_IN_FLOW_DELAYED = "krafter_smtp_in_flow_delayed";
    public static final String SMTP_IN_FLOW_DELAY_MS = "krafter_smtp_in_flow_delay_milliseconds";
    public static final String SMTP_DECISION = "krafter_smtp_decision_seconds";
    public static final String SES_SEND = "krafter_ses_send_seconds";
    public static final String SES_OUTCOME = "krafter_ses_outcome";
    public static final String DELIVERY_FAILED = "krafter_delivery_failed";

    /** The reasons a failed AUTH is counted by, besides {@code AuthOutcome.Reason}'s. */
    public static final String AUTH_LOCKED = "locked";
    public static final String AUTH_UNAVAILABLE = "unavailable";

    static final int MAX_REASON_LENGTH = 300;
    private static final Pattern NOT_IN_NAME = Pattern.compile("[^a-z0-9_]");

    private final MetricFactory metrics;
    private final EventLog log;
    private final Map<String, Metric> meters = new ConcurrentHashMap<>();

    @Inject
    public RelayEvents(MetricFactory metrics) {
        this(metrics, EventLog.toLogger(LoggerFactory.getLogger(EventLog.LOGGER_NAME), Clock.systemUTC()));
    }

    public RelayEvents(MetricFactory metrics, EventLog log) {
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.log = Objects.requireNonNull(log, "log");
        // Registered up front so that a scrape shows them at 0 before the first event.
        for (String name : new String[] {AUTH_ACCEPTED, AUTH_FAILED, SMTP_ACCEPTED, SMTP_REJECTED, SMTP_DEFERRED, SMTP_DUPLICATE,
            SMTP_RATE_LIMITED, SMTP_IN_FLOW_DELAYED, SMTP_IN_FLOW_DELAY_MS,
            DELIVERY_FAILED, SES_OUTCOME + "_sent", SES_OUTCOME + "_retry", SES_OUTCOME + "_failed"}) {
            meter(name);
        }
        for (String timer : new String[] {SMTP_DECISION, SES_SEND}) {
            metrics.timer(timer); // registers it; a timing never stopped records nothing
        }
    }

    /** Registers the per-code counters of refusals at the end of DATA up front (the codes live in the policy package). */
    public void knownRejectionCodes(Iterable<String> codes) {
        for (String code : codes) {
            meter(SMTP_REJECTED + "_" + code);
        }
    }

    /** Registers the per-code counters of refusals at RCPT up front. */
    public void knownRcptRejectionCodes(Iterable<String> codes) {
        for (String code : codes) {
            meter(SMTP_RCPT_REJECTED + "_" + code);
        }
    }

    /** Registers the per-reason AUTH failure counters up front. */
    public void knownAuthFailureReasons(Iterable<String> reasons) {
        for (String reason : reasons) {
            meter(AUTH_FAILED + "_" + reason);
        }
    }

    public void authAccepted() {
        meter(AUTH_ACCEPTED).increment();
    }

    /** A refused AUTH; {@code reason} is a code ({@code unknown_key}, {@code locked}, …), never what was sent. */
    public void authFailed(String remoteIp, String reason) {
        meter(AUTH_FAILED).increment();
        meter(AUTH_FAILED + "_" + reason).increment();
        log.event("auth.failed").with("outcome", reason).with("remote_ip", remoteIp).write();
    }

    /** The end-of-DATA decision, timed for {@value #SMTP_DECISION}. */
    public <T> Timed<T> timeDecision(Supplier<T> decision) {
        return timed(SMTP_DECISION, decision);
    }

    public void smtpAccepted(Submission s, UUID emailId, String stream, String configurationSet, Duration latency) {
        meter(SMTP_ACCEPTED).increment();
        submission(log.event("smtp.accepted").with("email_id", emailId), s)
            .with("stream", stream).with("configuration_set", configurationSet)
            .with("outcome", "accepted").with("smtp_code", 250).with("latency_ms", latency.toMillis()).write();
    }

    /** A 550 at the end of DATA; {@code stream} is null when the stream itself was the problem. */
    public void smtpRejected(Submission s, String stream, String code, Duration latency) {
        meter(SMTP_REJECTED).increment();
        meter(SMTP_REJECTED + "_" + code).increment();
        submission(log.event("smtp.rejected"), s).with("stream", stream).with("outcome", code)
            .with("smtp_code", 550).with("phase", "data").with("latency_ms", latency.toMillis()).write();
    }

    /** A 550 at RCPT (sandbox recipients): one recipient refused, the message may go on without it. */
    public void smtpRcptRejected(String keyPrefix, String account, String remoteIp, String code) {
        meter(SMTP_RCPT_REJECTED + "_" + code).increment();
        log.event("smtp.rejected").with("key_prefix", keyPrefix).with("account", account).with("remote_ip", remoteIp)
            .with("outcome", code).with("smtp_code", 550).with("phase", "rcpt").write();
    }

    /** A resend of a message accepted within the idempotency window: answered 250 with the first id, not sent again. */
    public void smtpDuplicate(Submission s, UUID firstEmailId, Duration latency) {
        meter(SMTP_DUPLICATE).increment();
        submission(log.event("smtp.duplicate").with("email_id", firstEmailId), s).with("outcome", "duplicate")
            .with("smtp_code", 250).with("latency_ms", latency.toMillis()).write();
    }

    /** A 451: the relay could not take the message (database down, queue full); the client retries. */
    public void smtpDeferred(Submission s, Throwable cause, Duration latency) {
        meter(SMTP_DEFERRED).increment();
        submission(log.event("smtp.deferred"), s).with("outcome", "tempfail").with("smtp_code", 451)
            .with("error", cause == null ? null : cause.getClass().getSimpleName())
            .with("latency_ms", latency.toMillis()).write();
    }

    /**
     * A 451 4.7.1 at MAIL FROM: the spool would take too long to reach SES at the account's rate, or
     * the 24-hour quota is spent ({@code limit}: {@code backlog} or {@code daily_quota}).
     */
    public void smtpRateLimited(String keyPrefix, String account, String remoteIp, String limit) {
        meter(SMTP_RATE_LIMITED).increment();
        log.event("smtp.deferred").with("key_prefix", keyPrefix).with("account", account).with("remote_ip", remoteIp)
            .with("outcome", "rate_limited_" + limit).with("smtp_code", 451).with("phase", "mail").write();
    }

    /**
     * A {@code MAIL FROM} that waited for the delivery threads to take mail in; counted, not logged
     * per command, as it happens to every sender at once when it happens.
     */
    public void smtpInFlowDelayed(Duration waited) {
        meter(SMTP_IN_FLOW_DELAYED).increment();
        meter(SMTP_IN_FLOW_DELAY_MS).add((int) Math.min(Integer.MAX_VALUE, waited.toMillis()));
    }

    /**
     * One hand-over to SES, timed for {@value #SES_SEND} and counted as
     * {@code krafter_ses_outcome_<outcome(result)>} ({@code sent}, {@code retry} or {@code failed}).
     */
    public <T> Timed<T> sesSend(Supplier<T> send, Function<? super T, String> outcome) {
        Timed<T> result = timed(SES_SEND, send);
        meter(SES_OUTCOME + "_" + outcome.apply(result.value())).increment();
        return result;
    }

    public void deliverySent(Delivery d, String sesMessageId, Duration sendTime) {
        delivery(log.event("delivery.sent"), d).with("outcome", "sent").with("ses_message_id", sesMessageId)
            .with("latency_ms", millis(sendTime)).write();
    }

    /** A retry scheduled; {@code sendTime} is null when SES was not called (the record was unreadable). */
    public void deliveryRetry(Delivery d, String reason, Duration sendTime, Duration delay) {
        delivery(log.event("delivery.retry"), d).with("outcome", "retry").with("reason", shorten(reason))
            .with("latency_ms", millis(sendTime)).with("retry_in_s", delay.toSeconds()).write();
    }

    /** The email ended failed: SES refused it, the retries ran out, or the pipeline broke on it. */
    public void deliveryFailed(Delivery d, String reason, Duration sendTime) {
        meter(DELIVERY_FAILED).increment();
        delivery(log.event("delivery.failed"), d).with("outcome", "failed").with("reason", shorten(reason))
            .with("latency_ms", millis(sendTime)).write();
    }

    private static EventLog.Line submission(EventLog.Line line, Submission s) {
        return line.with("key_prefix", s.keyPrefix()).with("account", s.account()).with("remote_ip", s.remoteIp())
            .with("recipients", s.recipients()).with("size_bytes", s.sizeBytes() < 0 ? null : s.sizeBytes());
    }

    private static EventLog.Line delivery(EventLog.Line line, Delivery d) {
        return line.with("email_id", d.emailId()).with("key_prefix", d.keyPrefix()).with("account", d.account())
            .with("stream", d.stream()).with("configuration_set", d.configurationSet())
            .with("recipients", d.recipients()).with("size_bytes", d.sizeBytes() < 0 ? null : d.sizeBytes())
            .with("attempt", d.attempt());
    }

    private <T> Timed<T> timed(String timer, Supplier<T> work) {
        TimeMetric time = metrics.timer(timer);
        T value = work.get();
        return new Timed<>(value, time.stopAndPublish().elasped());
    }

    private Metric meter(String name) {
        return meters.computeIfAbsent(name, n -> metrics.generate(NOT_IN_NAME.matcher(n.toLowerCase(Locale.ROOT)).replaceAll("_")));
    }

    private static Long millis(Duration d) {
        return d == null ? null : d.toMillis();
    }

    /** SES texts can be long (and quote the sender's domain): the gist only; the record keeps the rest. */
    static String shorten(String reason) {
        if (reason == null || reason.length() <= MAX_REASON_LENGTH) {
            return reason;
        }
        return reason.substring(0, MAX_REASON_LENGTH - 1) + "…";
    }
}
