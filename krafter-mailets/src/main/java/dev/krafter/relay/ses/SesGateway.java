package dev.krafter.relay.ses;

import java.util.Objects;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import software.amazon.awssdk.core.exception.SdkException;
import dev.krafter.relay.pacing.SendQuota;
import software.amazon.awssdk.services.sesv2.SesV2Client;
import software.amazon.awssdk.services.sesv2.model.GetAccountRequest;
import software.amazon.awssdk.services.sesv2.model.SendEmailResponse;

/**
 * One SendEmail call, answered as a {@link SesOutcome} instead of an exception. Thread-safe: one
 * instance around the process's shared {@link SesV2Client}.
 */
public class SesGateway {
    private static final Logger LOGGER = LoggerFactory.getLogger(SesGateway.class);

    private final SesV2Client client;

    public SesGateway(SesV2Client client) {
        this.client = Objects.requireNonNull(client, "client");
    }

    /**
     * Sends synchronously on the caller's thread (a mailet spooler thread: the spooler's thread count
     * bounds the calls in flight). Only SDK exceptions become outcomes; anything else is a bug and
     * propagates.
     */
    public SesOutcome send(OutboundEmail email) {
        try {
            SendEmailResponse response = client.sendEmail(email.request());
            return new SesOutcome.Sent(Objects.requireNonNullElse(response.messageId(), ""));
        } catch (SdkException e) {
            SesOutcome outcome = SesFailureClassifier.classify(e);
            if (SesFailureClassifier.needsOperator(e)) {
                LOGGER.error("SES refused email {} in a way that needs an operator: {}", email.emailId(), e.getMessage());
            } else {
                LOGGER.warn("SES did not accept email {} ({}): {}", email.emailId(),
                    outcome.getClass().getSimpleName(), e.getMessage());
            }
            return outcome;
        }
    }

    /**
     * The account's sending quota (SES v2 GetAccount, {@code GET /v2/email/account}) on the same client
     * as the sends. Throws the SDK's exception when SES refuses (e.g. no ses:GetAccount permission).
     */
    public SendQuota quota() {
        var quota = client.getAccount(GetAccountRequest.builder().build()).sendQuota();
        if (quota == null) {
            throw new IllegalStateException("GetAccount answered without a SendQuota");
        }
        return new SendQuota(nonNull(quota.max24HourSend()), nonNull(quota.maxSendRate()), nonNull(quota.sentLast24Hours()));
    }

    private static double nonNull(Double value) {
        return value == null ? 0 : value;
    }
}
