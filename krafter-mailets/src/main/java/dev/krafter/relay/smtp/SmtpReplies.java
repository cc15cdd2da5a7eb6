package dev.krafter.relay.smtp;

import java.util.List;
import java.util.function.Supplier;

import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;

import dev.krafter.relay.policy.PolicyViolation;

/**
 * Every reply the relay writes itself, in one place, so that the texts match docs/errors.md
 * ({@code SmtpRepliesDocumentedTest} holds the two together). Replies James writes on its own
 * (size limits, syntax errors, max recipients) are James's and stay in its handlers.
 */
public final class SmtpReplies {

    /**
     * One reply: the code, the RFC 3463 enhanced status ({@code ""} where the relay gives none) and
     * the text. A reply whose text ends in a value (an id, a reason) holds the fixed part only.
     */
    public record Reply(String code, String status, String text) {
        /** What follows the code: the enhanced status and the text. */
        public String description() {
            return status.isEmpty() ? text : status + " " + text;
        }

        /** The reply as the client reads it, without the line end. */
        public String line() {
            return code + " " + description();
        }

        /** This reply with {@code value} after its fixed text. */
        public String description(String value) {
            return description() + value;
        }

        HookResult hook(HookReturnCode returnCode) {
            return hook(returnCode, "");
        }

        HookResult hook(HookReturnCode returnCode, String value) {
            return HookResult.builder().hookReturnCode(returnCode).smtpReturnCode(code).smtpDescription(description(value)).build();
        }

        Response response() {
            return new SMTPResponse(code, description()).immutable();
        }
    }

    // AUTH
    public static final Reply AUTH_OK = new Reply("235", "2.7.0", "Authentication successful");
    public static final Reply AUTH_FAILED = new Reply("535", "5.7.8", "Authentication failed: ");
    public static final Reply AUTH_UNAVAILABLE = new Reply("454", "4.7.0", "Temporary authentication failure, try again later");
    public static final Reply AUTH_ADDRESS_OVER_BUDGET =
        new Reply("454", "4.7.0", "Too many failed authentication attempts from your address, try again later");
    public static final Reply AUTH_KEY_OVER_BUDGET =
        new Reply("454", "4.7.0", "Too many failed authentication attempts with this API key, try again later");
    public static final Reply AUTH_CONNECTION_OVER_BUDGET =
        new Reply("421", "4.7.0", "Too many failed authentication attempts on this connection, reconnect");
    public static final Reply AUTH_SASL_UNSUPPORTED = new Reply("504", "5.5.4", "Only AUTH PLAIN and LOGIN are supported");
    public static final Reply AUTH_ABORTED = new Reply("501", "5.7.1", "Authentication aborted");
    public static final Reply AUTH_PLAIN_UNDECODABLE = new Reply("501", "", "Could not decode parameters for AUTH PLAIN");
    public static final Reply AUTH_LOGIN_UNDECODABLE = new Reply("501", "", "Could not decode parameters for AUTH LOGIN");
    /** The 334 continuation prompts (RFC 4954): steps of the exchange, not answers. */
    public static final Reply AUTH_READY_PLAIN = new Reply("334", "", "OK. Continue authentication");
    public static final Reply AUTH_READY_USERNAME = new Reply("334", "", "VXNlcm5hbWU6");
    public static final Reply AUTH_READY_PASSWORD = new Reply("334", "", "UGFzc3dvcmQ6");

    // MAIL FROM, RCPT TO
    public static final Reply AUTH_REQUIRED = new Reply("530", "5.7.0", "Authentication required");
    public static final Reply RATE_LIMITED = new Reply("451", "4.7.1", "Sending rate limit reached, try again later");
    public static final Reply TOO_MANY_MESSAGES = new Reply("421", "4.7.0", "Too many messages on this connection, reconnect");
    /** RFC 6531 3.5: a non-ASCII address without SMTPUTF8, which SES v2 does not support (docs/errors.md). */
    public static final Reply UTF8_SENDER = new Reply("553", "5.6.7", "UTF-8 addresses are not supported (no SMTPUTF8): "
        + "use an ASCII sender address; a non-ASCII domain can be given in Punycode (xn--...)");
    public static final Reply UTF8_RECIPIENT = new Reply("553", "5.6.7", "UTF-8 addresses are not supported (no SMTPUTF8): "
        + "use an ASCII recipient address; a non-ASCII domain can be given in Punycode (xn--...)");
    /** RFC 3463 5.7.1 "delivery not authorized", followed by the violation's REST text. */
    public static final Reply POLICY_VIOLATION = new Reply("550", "5.7.1", "");

    // end of DATA
    public static final Reply ACCEPTED = new Reply("250", "2.0.0", "OK id=");
    public static final String DUPLICATE_SUFFIX = " (duplicate of a message already accepted; not sent again)";
    public static final Reply LINE_TOO_LONG = new Reply("554", "5.6.0",
        "Message refused: a line is longer than 8192 octets (RFC 5321 allows 1000); encode long lines, e.g. quoted-printable");
    /** The product page's wording, verbatim and without an enhanced status: clients and people search for it. */
    public static final Reply TEMPORARY_FAILURE = new Reply("451", "", "Temporary failure, try again later");

    // any time
    /** RFC 5321 §3.8: the server may close an idle connection, with a 421 first. */
    public static final Reply IDLE_TIMEOUT = new Reply("421", "4.4.2", "Idle timeout, closing connection");

    /** Every reply above, for the test that finds each in docs/errors.md. */
    public static final List<Reply> ALL = List.of(AUTH_OK, AUTH_FAILED, AUTH_UNAVAILABLE, AUTH_ADDRESS_OVER_BUDGET,
        AUTH_KEY_OVER_BUDGET, AUTH_CONNECTION_OVER_BUDGET, AUTH_SASL_UNSUPPORTED, AUTH_ABORTED, AUTH_PLAIN_UNDECODABLE,
        AUTH_LOGIN_UNDECODABLE, AUTH_READY_PLAIN, AUTH_READY_USERNAME, AUTH_READY_PASSWORD, AUTH_REQUIRED, RATE_LIMITED,
        TOO_MANY_MESSAGES, UTF8_SENDER, UTF8_RECIPIENT, POLICY_VIOLATION, ACCEPTED, LINE_TOO_LONG, TEMPORARY_FAILURE,
        IDLE_TIMEOUT);

    static final Response UTF8_SENDER_RESPONSE = UTF8_SENDER.response();
    static final Response UTF8_RECIPIENT_RESPONSE = UTF8_RECIPIENT.response();

    private SmtpReplies() {
    }

    /** Whether a command argument is plain ASCII; null (no argument) counts as ASCII. */
    static boolean isAscii(String argument) {
        return argument == null || argument.chars().allMatch(c -> c < 0x80);
    }

    /** James's own answer to MAIL or RCPT, or {@code refusal} when the address argument is not ASCII. */
    static Response asciiOr(String parameters, Response refusal, Supplier<Response> james) {
        return isAscii(parameters) ? james.get() : refusal;
    }

    static HookResult authRequired() {
        return AUTH_REQUIRED.hook(HookReturnCode.deny());
    }

    static HookResult violation(PolicyViolation violation) {
        return POLICY_VIOLATION.hook(HookReturnCode.deny(), violation.message());
    }

    static HookResult temporaryFailure() {
        return TEMPORARY_FAILURE.hook(HookReturnCode.denySoft());
    }

    static HookResult rateLimited() {
        return RATE_LIMITED.hook(HookReturnCode.denySoft());
    }
}
