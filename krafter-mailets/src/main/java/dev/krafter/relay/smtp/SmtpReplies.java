package dev.krafter.relay.smtp;

import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;

import dev.krafter.relay.policy.PolicyViolation;

/** The replies our hooks give, in one place so the texts match docs/errors.md. */
final class SmtpReplies {
    /** The product page's wording, verbatim: clients and people search for it. */
    static final String TEMPORARY_FAILURE = "Temporary failure, try again later";
    static final String AUTH_REQUIRED = "5.7.0 Authentication required";
    static final String RATE_LIMITED = "4.7.1 Sending rate limit reached, try again later";
    /** RFC 6531 3.5: a non-ASCII address without SMTPUTF8, which SES v2 does not support (docs/errors.md). */
    static final Response UTF8_SENDER = new SMTPResponse("553", "5.6.7 UTF-8 addresses are not supported (no SMTPUTF8): "
        + "use an ASCII sender address; a non-ASCII domain can be given in Punycode (xn--...)").immutable();
    static final Response UTF8_RECIPIENT = new SMTPResponse("553", "5.6.7 UTF-8 addresses are not supported (no SMTPUTF8): "
        + "use an ASCII recipient address; a non-ASCII domain can be given in Punycode (xn--...)").immutable();

    private SmtpReplies() {
    }

    /** Whether a command argument is plain ASCII; null (no argument) counts as ASCII. */
    static boolean isAscii(String argument) {
        return argument == null || argument.chars().allMatch(c -> c < 0x80);
    }

    static HookResult authRequired() {
        return HookResult.builder().hookReturnCode(HookReturnCode.deny())
            .smtpReturnCode("530").smtpDescription(AUTH_REQUIRED).build();
    }

    static HookResult violation(PolicyViolation violation) {
        return HookResult.builder().hookReturnCode(HookReturnCode.deny())
            .smtpReturnCode(PolicyViolation.SMTP_CODE).smtpDescription(violation.smtpText()).build();
    }

    static HookResult temporaryFailure() {
        return HookResult.builder().hookReturnCode(HookReturnCode.denySoft())
            .smtpReturnCode("451").smtpDescription(TEMPORARY_FAILURE).build();
    }

    static HookResult rateLimited() {
        return HookResult.builder().hookReturnCode(HookReturnCode.denySoft())
            .smtpReturnCode("451").smtpDescription(RATE_LIMITED).build();
    }
}
