package dev.krafter.relay.smtp;

import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;

import dev.krafter.relay.policy.PolicyViolation;

/** The replies our hooks give, in one place so the texts match docs/errors.md. */
final class SmtpReplies {
    /** The product page's wording, verbatim: clients and people search for it. */
    static final String TEMPORARY_FAILURE = "Temporary failure, try again later";
    static final String AUTH_REQUIRED = "5.7.0 Authentication required";

    private SmtpReplies() {
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
}
