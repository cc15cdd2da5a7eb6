package dev.krafter.relay.ses;

import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sesv2.model.AccountSuspendedException;
import software.amazon.awssdk.services.sesv2.model.BadRequestException;
import software.amazon.awssdk.services.sesv2.model.LimitExceededException;
import software.amazon.awssdk.services.sesv2.model.MailFromDomainNotVerifiedException;
import software.amazon.awssdk.services.sesv2.model.MessageRejectedException;
import software.amazon.awssdk.services.sesv2.model.NotFoundException;
import software.amazon.awssdk.services.sesv2.model.SendingPausedException;
import software.amazon.awssdk.services.sesv2.model.TooManyRequestsException;

/**
 * Decides, from what the SDK threw, whether a failed SendEmail is worth another try.
 *
 * <p>The rule: what a later identical request could succeed at is {@link SesOutcome.Retry} (throttling,
 * 5xx, timeouts, connection errors, paused sending, bad or expired credentials — the last two need an
 * operator, not a different message); what SES refuses because of this message or its sender is
 * {@link SesOutcome.Failed} with SES's own text, so the email record tells the user why. An HTTP error
 * without SES's error type (a wrong endpoint, path or region, a proxy in between) did not come from
 * SES's API: it says nothing about the message, so the mail is held and an operator alerted.
 */
public final class SesFailureClassifier {

    private SesFailureClassifier() {
    }

    public static SesOutcome classify(SdkException e) {
        if (e instanceof AwsServiceException service) {
            return classifyServiceError(service);
        }
        // SdkClientException: no usable answer from SES — I/O error, connection refused or reset, empty
        // response, ApiCallTimeoutException / ApiCallAttemptTimeoutException, no credentials found.
        return new SesOutcome.Retry("SES call failed: " + e.getMessage());
    }

    /** Whether an operator should look now (the error will not go away by itself, or affects every message). */
    public static boolean needsOperator(SdkException e) {
        if (!(e instanceof AwsServiceException service)) {
            return false;
        }
        // A bare 5xx (a load balancer's 503) is passing trouble; a bare 4xx is a wrong endpoint or a proxy.
        return !fromSes(service) && service.statusCode() < 500
            || service instanceof AccountSuspendedException
            || service instanceof SendingPausedException
            || service instanceof NotFoundException
            || service instanceof MailFromDomainNotVerifiedException
            || service.statusCode() == 401 || service.statusCode() == 403;
    }

    private static SesOutcome classifyServiceError(AwsServiceException e) {
        String reason = describe(e);
        if (!fromSes(e)) {
            return new SesOutcome.Retry(reason);
        }
        if (e instanceof MessageRejectedException
            || e instanceof MailFromDomainNotVerifiedException
            || e instanceof AccountSuspendedException
            || e instanceof NotFoundException
            || e instanceof BadRequestException
            || e instanceof LimitExceededException) {
            return new SesOutcome.Failed(reason);
        }
        if (e instanceof TooManyRequestsException || e instanceof SendingPausedException) {
            return new SesOutcome.Retry(reason);
        }
        int status = e.statusCode();
        if (status >= 500 || status == 429 || e.isThrottlingException() || e.isClockSkewException()
            || status == 401 || status == 403 || status == 408) {
            return new SesOutcome.Retry(reason);
        }
        // Another 4xx: a request SES will refuse again, identically.
        return new SesOutcome.Failed(reason);
    }

    /** SES names every error it returns (x-amzn-ErrorType or the body's __type); anything else answered in its place. */
    private static boolean fromSes(AwsServiceException e) {
        AwsErrorDetails details = e.awsErrorDetails();
        return details != null && details.errorCode() != null && !details.errorCode().isBlank();
    }

    /** SES's error code and its message, e.g. {@code MessageRejected: Email address is not verified.} */
    static String describe(AwsServiceException e) {
        AwsErrorDetails details = e.awsErrorDetails();
        String code = details == null ? null : details.errorCode();
        String message = details == null ? null : details.errorMessage();
        if (code == null || code.isBlank()) {
            code = "HTTP " + e.statusCode();
        }
        if (message == null || message.isBlank()) {
            return code;
        }
        return code + ": " + message;
    }
}
