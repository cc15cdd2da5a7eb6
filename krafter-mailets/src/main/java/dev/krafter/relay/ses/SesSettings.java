package dev.krafter.relay.ses;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How to reach SES v2 and how long to wait for it. Region and endpoint are optional: without a region
 * the SDK's default region chain (AWS_REGION, profile, instance metadata) decides; without an
 * endpoint the SDK resolves the regional SES endpoint.
 *
 * @param maxConnections        HTTP connection pool size; keep it at least the mailet spooler's thread count,
 *                              or spooler threads queue for a connection
 * @param sdkMaxAttempts        attempts inside one SDK call (1 = no SDK retry). Long retries belong to the
 *                              mail queue, where the email record is updated and no thread waits; one quick
 *                              SDK retry absorbs a stale pooled connection or a one-off 429 within the call
 * @param apiCallAttemptTimeout bounds one HTTP attempt, including a 25 MiB upload (~34 MiB JSON)
 * @param apiCallTimeout        bounds the whole call including the SDK retry
 */
public record SesSettings(Optional<String> region, Optional<URI> endpoint, int maxConnections,
                          Duration connectionTimeout, Duration socketTimeout,
                          Duration apiCallAttemptTimeout, Duration apiCallTimeout, int sdkMaxAttempts) {

    /** Environment variable naming an SES endpoint to use instead of the regional one (a stand-in, a VPC endpoint). */
    public static final String ENDPOINT_ENV = "KRAFTER_SES_ENDPOINT";
    /** Environment variable naming the SES region; without it the SDK's default region chain applies. */
    public static final String REGION_ENV = "KRAFTER_SES_REGION";
    /**
     * Environment variable: seconds one SendEmail attempt may take before it counts as a timeout (and
     * is retried through the queue); the whole call, with its one SDK retry, may take twice that.
     */
    public static final String ATTEMPT_TIMEOUT_ENV = "KRAFTER_SES_ATTEMPT_TIMEOUT_SECONDS";

    public SesSettings {
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(connectionTimeout, "connectionTimeout");
        Objects.requireNonNull(socketTimeout, "socketTimeout");
        Objects.requireNonNull(apiCallAttemptTimeout, "apiCallAttemptTimeout");
        Objects.requireNonNull(apiCallTimeout, "apiCallTimeout");
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections must be at least 1: " + maxConnections);
        }
        if (sdkMaxAttempts < 1) {
            throw new IllegalArgumentException("sdkMaxAttempts must be at least 1: " + sdkMaxAttempts);
        }
    }

    public static SesSettings defaults() {
        return new SesSettings(Optional.empty(), Optional.empty(), 64,
            Duration.ofSeconds(5), Duration.ofSeconds(30),
            Duration.ofSeconds(60), Duration.ofSeconds(120), 2);
    }

    /**
     * {@link #defaults()} plus {@value #ENDPOINT_ENV}, {@value #REGION_ENV} and {@value #ATTEMPT_TIMEOUT_ENV}
     * when set and not blank; a malformed timeout is an {@link IllegalArgumentException} naming the variable.
     */
    public static SesSettings fromEnvironment(Map<String, String> env) {
        SesSettings settings = defaults();
        String endpoint = env.get(ENDPOINT_ENV);
        if (endpoint != null && !endpoint.isBlank()) {
            settings = settings.withEndpoint(URI.create(endpoint.trim()));
        }
        String region = env.get(REGION_ENV);
        if (region != null && !region.isBlank()) {
            settings = settings.withRegion(region.trim());
        }
        String attempt = env.get(ATTEMPT_TIMEOUT_ENV);
        if (attempt != null && !attempt.isBlank()) {
            long seconds;
            try {
                seconds = Long.parseLong(attempt.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(ATTEMPT_TIMEOUT_ENV + " must be a whole number of seconds: " + attempt);
            }
            if (seconds < 1) {
                throw new IllegalArgumentException(ATTEMPT_TIMEOUT_ENV + " must be at least 1: " + attempt);
            }
            settings = settings.withTimeouts(Duration.ofSeconds(seconds), Duration.ofSeconds(2 * seconds));
        }
        return settings;
    }

    public SesSettings withRegion(String region) {
        return new SesSettings(Optional.of(region), endpoint, maxConnections, connectionTimeout, socketTimeout,
            apiCallAttemptTimeout, apiCallTimeout, sdkMaxAttempts);
    }

    public SesSettings withEndpoint(URI endpoint) {
        return new SesSettings(region, Optional.of(endpoint), maxConnections, connectionTimeout, socketTimeout,
            apiCallAttemptTimeout, apiCallTimeout, sdkMaxAttempts);
    }

    public SesSettings withSdkMaxAttempts(int attempts) {
        return new SesSettings(region, endpoint, maxConnections, connectionTimeout, socketTimeout,
            apiCallAttemptTimeout, apiCallTimeout, attempts);
    }

    public SesSettings withMaxConnections(int connections) {
        return new SesSettings(region, endpoint, connections, connectionTimeout, socketTimeout,
            apiCallAttemptTimeout, apiCallTimeout, sdkMaxAttempts);
    }

    public SesSettings withTimeouts(Duration attemptTimeout, Duration callTimeout) {
        return new SesSettings(region, endpoint, maxConnections, connectionTimeout, socketTimeout,
            attemptTimeout, callTimeout, sdkMaxAttempts);
    }
}
