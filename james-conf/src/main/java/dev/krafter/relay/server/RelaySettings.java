package dev.krafter.relay.server;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import dev.krafter.relay.db.DatabaseSettings;
import dev.krafter.relay.ses.RetrySchedule;
import dev.krafter.relay.smtp.MessagesPerConnectionHook;

/**
 * Everything the relay reads from its environment, with the documented defaults (README, "Settings").
 * The James conf files refer to the derived values as {@code ${sys:krafter.*}} properties, so the
 * XML stays the one map of the server while deployments configure it with environment variables.
 * {@code environment} keeps the whole map for the components that read their own variables
 * (SES settings, configuration set names).
 */
public record RelaySettings(Path home, Path confDir, String smtpBindAddress, int smtpPort, boolean proxyProtocol,
                            Path tlsCert, Path tlsKey,
                            DatabaseSettings database, Optional<String> sesRegion, Optional<String> sesEndpoint,
                            Path outboxDir, String unsubscribeMailto, String unsubscribeUrl,
                            Map<String, String> environment) {

    /** KRAFTER_SMTP_BIND and KRAFTER_SMTP_PORT when unset: every address, SMTPS. */
    public static final String DEFAULT_SMTP_BIND = "0.0.0.0";
    public static final int DEFAULT_SMTP_PORT = 465;

    public static RelaySettings fromEnvironment(Map<String, String> env) {
        Path home = Path.of(env.getOrDefault("KRAFTER_HOME", ".")).toAbsolutePath().normalize();
        Path var = home.resolve("var");
        return new RelaySettings(
            home,
            path(env, "KRAFTER_CONF_DIR", home.resolve("conf")),
            env.getOrDefault("KRAFTER_SMTP_BIND", DEFAULT_SMTP_BIND),
            Integer.parseInt(env.getOrDefault("KRAFTER_SMTP_PORT", String.valueOf(DEFAULT_SMTP_PORT))),
            proxyProtocol(env),
            path(env, "KRAFTER_TLS_CERT", var.resolve("tls/cert.pem")),
            path(env, "KRAFTER_TLS_KEY", var.resolve("tls/key.pem")),
            DatabaseSettings.of(
                required(env, "KRAFTER_DB_URL"),
                env.getOrDefault("KRAFTER_DB_USER", "krafter"),
                env.getOrDefault("KRAFTER_DB_PASSWORD", "")),
            optional(env, "KRAFTER_SES_REGION"),
            optional(env, "KRAFTER_SES_ENDPOINT"),
            path(env, "KRAFTER_OUTBOX_DIR", var.resolve("outbox")),
            env.getOrDefault("KRAFTER_UNSUBSCRIBE_MAILTO", "mailto:unsubscribe@krafter.dev?subject=unsubscribe-{emailId}"),
            env.getOrDefault("KRAFTER_UNSUBSCRIBE_URL", "https://unsubscribe.krafter.dev/u/{emailId}"),
            Map.copyOf(env));
    }

    /** SES is used when any SES setting is given; otherwise messages go to the local outbox. */
    public boolean sesConfigured() {
        return sesRegion.isPresent() || sesEndpoint.isPresent();
    }

    /**
     * The spool queue's leases and polling: KRAFTER_QUEUE_LEASE_SECONDS (60) is how long a dead node's
     * mail waits before another node takes it; KRAFTER_QUEUE_POLL_MILLIS (1000) bounds how late a
     * missed wake-up or a retry's due time is noticed.
     */
    public dev.krafter.relay.queue.QueueSettings queue(String nodeId) {
        return new dev.krafter.relay.queue.QueueSettings(nodeId, queueLease(),
            java.time.Duration.ofMillis(Long.parseLong(environment.getOrDefault("KRAFTER_QUEUE_POLL_MILLIS", "1000").trim())),
            dev.krafter.relay.queue.QueueSettings.DEFAULT_BATCH);
    }

    /**
     * KRAFTER_DEDUP_WINDOW (24h): how long a resend with the same Message-ID or
     * X-Krafter-Idempotency-Key from the same account is answered as a duplicate; 0: never.
     */
    public java.time.Duration dedupWindow() {
        java.time.Duration window = duration(environment, "KRAFTER_DEDUP_WINDOW", "24h");
        if (window.isNegative()) {
            throw new IllegalArgumentException("KRAFTER_DEDUP_WINDOW must not be negative, not " + environment.get("KRAFTER_DEDUP_WINDOW"));
        }
        return window;
    }

    /**
     * KRAFTER_IN_FLOW_DELAY (1s): the longest a MAIL FROM waits while this node takes mail in faster
     * than its delivery threads take it from the spool (InFlowDelayHook); 0: never.
     */
    public java.time.Duration inFlowDelay() {
        java.time.Duration delay = duration(environment, "KRAFTER_IN_FLOW_DELAY", "1s");
        if (delay.isNegative() || delay.compareTo(java.time.Duration.ofSeconds(10)) > 0) {
            throw new IllegalArgumentException("KRAFTER_IN_FLOW_DELAY must be between 0 and 10s, not " + environment.get("KRAFTER_IN_FLOW_DELAY").trim());
        }
        return delay;
    }

    /** A duration setting in James's syntax (a bare number is seconds); an unreadable one is refused with the variable's name. */
    private static java.time.Duration duration(Map<String, String> env, String name, String fallback) {
        String value = env.getOrDefault(name, fallback).trim();
        try {
            return org.apache.james.util.DurationParser.parse(value, java.time.temporal.ChronoUnit.SECONDS);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(name + " must be a duration such as 1s or 500ms, not \"" + value + "\"");
        }
    }

    private java.time.Duration queueLease() {
        return java.time.Duration.ofSeconds(Long.parseLong(environment.getOrDefault("KRAFTER_QUEUE_LEASE_SECONDS", "60").trim()));
    }

    /**
     * SES pacing: KRAFTER_SES_QUOTA_REFRESH (5m) between GetAccount calls, KRAFTER_BACKLOG_MAX_DRAIN (10m)
     * the longest the spool may take to drain before MAIL gets 451 4.7.1; nodes are live within the queue lease.
     */
    public dev.krafter.relay.pacing.PacingSettings pacing() {
        return dev.krafter.relay.pacing.PacingSettings.fromEnvironment(environment, queueLease());
    }

    /** How often the TLS PEM files are checked for a renewal (KRAFTER_TLS_RELOAD_SECONDS, 60; 0 = never). */
    public java.time.Duration tlsReloadInterval() {
        return java.time.Duration.ofSeconds(Long.parseLong(environment.getOrDefault("KRAFTER_TLS_RELOAD_SECONDS", "60").trim()));
    }

    /** The values the conf files interpolate as ${sys:…}. */
    public Map<String, String> systemProperties() {
        return Map.ofEntries(
            Map.entry("krafter.ses.maxRetries", environment.getOrDefault("KRAFTER_SES_MAX_RETRIES", String.valueOf(RetrySchedule.DEFAULT_MAX_RETRIES))),
            Map.entry("krafter.ses.retryInitialDelay", environment.getOrDefault("KRAFTER_SES_RETRY_INITIAL_DELAY", seconds(RetrySchedule.DEFAULT_INITIAL_DELAY))),
            Map.entry("krafter.ses.retryMaxDelay", environment.getOrDefault("KRAFTER_SES_RETRY_MAX_DELAY", seconds(RetrySchedule.DEFAULT_MAX_DELAY))),
            Map.entry("krafter.smtp.bind", smtpBindAddress + ":" + smtpPort),
            Map.entry("krafter.smtp.proxyRequired", Boolean.toString(proxyProtocol)),
            // James counts connections per TCP peer, before the PROXY header: behind a balancer every
            // connection has the balancer's address, so the limit would cap the node, not a client.
            Map.entry("krafter.smtp.connectionLimitPerIP", proxyProtocol ? "0" : "200"),
            Map.entry("krafter.smtp.maxMessagesPerConnection", environment.getOrDefault("KRAFTER_MAX_MESSAGES_PER_CONNECTION",
                String.valueOf(MessagesPerConnectionHook.DEFAULT_MAX_MESSAGES))),
            Map.entry("krafter.smtp.inFlowDelay", inFlowDelay().toMillis() + "ms"),
            Map.entry("krafter.tls.cert", "file://" + tlsCert.toAbsolutePath()),
            Map.entry("krafter.tls.key", "file://" + tlsKey.toAbsolutePath()),
            Map.entry("krafter.tls.provider", tlsProvider(environment)),
            Map.entry("krafter.delivery", sesConfigured() ? "ses" : "outbox"),
            Map.entry("krafter.outbox.dir", outboxDir.toAbsolutePath().toString()),
            Map.entry("krafter.unsubscribe.mailto", unsubscribeMailto),
            Map.entry("krafter.unsubscribe.url", unsubscribeUrl));
    }

    /**
     * KRAFTER_TLS_PROVIDER: {@code auto} (BoringSSL through netty-tcnative where its library loads,
     * otherwise the JDK's TLS), {@code openssl} (BoringSSL or no start) or {@code jdk}.
     */
    public static String tlsProvider(Map<String, String> env) {
        String value = optional(env, "KRAFTER_TLS_PROVIDER").orElse("auto").trim();
        if (!value.equals("auto") && !value.equals("openssl") && !value.equals("jdk")) {
            throw new IllegalArgumentException("KRAFTER_TLS_PROVIDER must be auto, openssl or jdk, not \"" + value + "\"");
        }
        return value;
    }

    /**
     * KRAFTER_PROXY_PROTOCOL=true: every connection must start with a PROXY protocol header (v1 or
     * v2, from HAProxy's send-proxy), and the client address in it is the one AUTH throttling sees.
     */
    public static boolean proxyProtocol(Map<String, String> env) {
        return flag(env, "KRAFTER_PROXY_PROTOCOL", false);
    }

    /** Whether an idle relay gives memory back to the system (KRAFTER_RETURN_MEMORY_WHEN_IDLE, true; see RestingMemory). */
    public boolean returnMemoryWhenIdle() {
        return flag(environment, "KRAFTER_RETURN_MEMORY_WHEN_IDLE", true);
    }

    private static boolean flag(Map<String, String> env, String name, boolean fallback) {
        String value = optional(env, name).orElse(String.valueOf(fallback)).trim();
        if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
            throw new IllegalArgumentException(name + " must be true or false, not \"" + value + "\"");
        }
        return Boolean.parseBoolean(value);
    }

    private static Path path(Map<String, String> env, String name, Path fallback) {
        return optional(env, name).map(Path::of).orElse(fallback).toAbsolutePath().normalize();
    }

    private static Optional<String> optional(Map<String, String> env, String name) {
        return Optional.ofNullable(env.get(name)).filter(v -> !v.isBlank());
    }

    private static String required(Map<String, String> env, String name) {
        return optional(env, name).orElseThrow(() -> new IllegalArgumentException(
            name + " is not set (bin/krafter-relay run sets it for the embedded PostgreSQL)"));
    }

    /** A duration as the mailets' init parameters read it (James's DurationParser). */
    private static String seconds(java.time.Duration duration) {
        return duration.toSeconds() + "s";
    }
}
