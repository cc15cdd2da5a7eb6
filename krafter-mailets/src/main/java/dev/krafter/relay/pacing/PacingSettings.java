package dev.krafter.relay.pacing;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Map;

import org.apache.james.util.DurationParser;

/**
 * @param quotaRefresh how often the account's quota is read from SES (GetAccount)
 * @param maxDrain     the longest the spool may take to drain at the SES rate before MAIL gets 451 4.7.1
 * @param maxWait      the longest a spooler thread waits for its turn; a longer turn puts the mail back
 *                     in the queue for that long instead
 * @param stateRefresh how often spool depth and live nodes are read (in the background, never per MAIL)
 * @param nodeLease    a node counts as live while its heartbeat is younger than this (KRAFTER_QUEUE_LEASE_SECONDS)
 */
public record PacingSettings(Duration quotaRefresh, Duration maxDrain, Duration maxWait, Duration stateRefresh,
                             Duration nodeLease) {
    public static final String QUOTA_REFRESH_ENV = "KRAFTER_SES_QUOTA_REFRESH";
    public static final String MAX_DRAIN_ENV = "KRAFTER_BACKLOG_MAX_DRAIN";

    public PacingSettings {
        for (Duration d : new Duration[] {quotaRefresh, maxDrain, maxWait, stateRefresh, nodeLease}) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("pacing durations must be positive: " + d);
            }
        }
    }

    public static PacingSettings fromEnvironment(Map<String, String> env, Duration nodeLease) {
        return new PacingSettings(duration(env, QUOTA_REFRESH_ENV, "5m"), duration(env, MAX_DRAIN_ENV, "10m"),
            Duration.ofSeconds(1), Duration.ofSeconds(1), nodeLease);
    }

    private static Duration duration(Map<String, String> env, String name, String defaultValue) {
        String value = env.getOrDefault(name, defaultValue).trim();
        try {
            Duration d = DurationParser.parse(value.isEmpty() ? defaultValue : value, ChronoUnit.SECONDS);
            if (d.isZero() || d.isNegative()) {
                throw new IllegalArgumentException("not positive");
            }
            return d;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(name + " must be a positive duration such as 30s or 5m: " + value);
        }
    }
}
