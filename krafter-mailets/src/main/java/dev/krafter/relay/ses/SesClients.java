package dev.krafter.relay.ses;

import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.sesv2.SesV2Client;
import software.amazon.awssdk.services.sesv2.SesV2ClientBuilder;

/**
 * Builds the process's one SES v2 client. The client is thread-safe and owns a connection pool: create
 * it once (a Guice singleton) and close it at shutdown, never per message.
 */
public final class SesClients {

    private SesClients() {
    }

    /** Credentials from the SDK's default chain (environment, profile, web identity, container, instance). */
    public static SesV2Client create(SesSettings settings) {
        return create(settings, DefaultCredentialsProvider.builder().build());
    }

    public static SesV2Client create(SesSettings settings, AwsCredentialsProvider credentials) {
        SesV2ClientBuilder builder = SesV2Client.builder()
            .credentialsProvider(credentials)
            // Named explicitly: sesv2 also brings apache5-client at runtime, and with two HTTP
            // implementations on the class path the SDK refuses to pick one by itself.
            .httpClientBuilder(ApacheHttpClient.builder()
                .maxConnections(settings.maxConnections())
                .connectionTimeout(settings.connectionTimeout())
                .socketTimeout(settings.socketTimeout())
                .connectionAcquisitionTimeout(settings.connectionTimeout())
                .tcpKeepAlive(true))
            .overrideConfiguration(ClientOverrideConfiguration.builder()
                .apiCallAttemptTimeout(settings.apiCallAttemptTimeout())
                .apiCallTimeout(settings.apiCallTimeout())
                .retryStrategy(retryStrategy(settings.sdkMaxAttempts()))
                .build());
        settings.region().map(Region::of).ifPresent(builder::region);
        settings.endpoint().ifPresent(builder::endpointOverride);
        return builder.build();
    }

    private static RetryStrategy retryStrategy(int maxAttempts) {
        if (maxAttempts == 1) {
            return AwsRetryStrategy.doNotRetry();
        }
        return AwsRetryStrategy.standardRetryStrategy().toBuilder().maxAttempts(maxAttempts).build();
    }
}
