package dev.krafter.relay.policy;

import java.util.Objects;

/**
 * A refused send: a stable machine code and the human text the REST API would give. Over SMTP
 * the reply is {@code 550 5.7.1 } + the text (SmtpReplies.POLICY_VIOLATION). Build violations with the factories below so
 * the wording stays in one place (docs/errors.md quotes it).
 *
 * @param message the REST-equivalent text, without an SMTP enhanced status code
 */
public record PolicyViolation(Code code, String message) implements PolicyDecision, AcceptOutcome {

    /** Longest echoed user value; a header can be 998 octets and the reply must stay one short line. */
    static final int MAX_ECHO = 64;

    public enum Code {
        INVALID_STREAM("invalid_stream"),
        STREAM_NOT_ALLOWED("stream_not_allowed"),
        SANDBOX_CAP_EXCEEDED("sandbox_cap_exceeded"),
        SANDBOX_EXTRA_RECIPIENTS("sandbox_extra_recipients"),
        SANDBOX_RECIPIENT_NOT_ALLOWED("sandbox_recipient_not_allowed"),
        INVALID_IDEMPOTENCY_KEY("invalid_idempotency_key");

        private final String code;

        Code(String code) {
            this.code = code;
        }

        /** The stable string clients match on (REST {@code error.code}, docs, logs). */
        public String code() {
            return code;
        }

        @Override
        public String toString() {
            return code;
        }
    }

    public PolicyViolation {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(message, "message");
    }

    public static PolicyViolation unknownStream(String value) {
        return new PolicyViolation(Code.INVALID_STREAM, "unknown stream: " + echo(value));
    }

    public static PolicyViolation conflictingStreams(String first, String second) {
        return new PolicyViolation(Code.INVALID_STREAM,
            "conflicting X-Krafter-Stream headers: '" + echo(first) + "' and '" + echo(second) + "'; send exactly one");
    }

    public static PolicyViolation streamNotAllowed(Stream stream) {
        return new PolicyViolation(Code.STREAM_NOT_ALLOWED,
            "API key is not allowed to send on stream '" + stream.wireName() + "'");
    }

    public static PolicyViolation sandboxRecipientNotAllowed(String recipient) {
        return new PolicyViolation(Code.SANDBOX_RECIPIENT_NOT_ALLOWED,
            "sandbox accounts may only send to allow-listed recipients: " + echo(recipient));
    }

    public static PolicyViolation sandboxExtraRecipients() {
        return new PolicyViolation(Code.SANDBOX_EXTRA_RECIPIENTS,
            "sandbox accounts may only send to one recipient per message");
    }

    public static PolicyViolation invalidIdempotencyKey() {
        return new PolicyViolation(Code.INVALID_IDEMPOTENCY_KEY,
            "X-Krafter-Idempotency-Key must be 1 to 256 printable ASCII characters, sent once");
    }

    public static PolicyViolation sandboxCapExceeded(int cap) {
        return new PolicyViolation(Code.SANDBOX_CAP_EXCEEDED,
            "sandbox accounts may send at most " + cap + " emails per rolling 24 hours; the limit is reached");
    }

    /**
     * A user-supplied value made safe to put in a one-line SMTP reply and a JSON message: control
     * characters (CR/LF above all: reply injection) dropped, non-ASCII shown as '?', length capped.
     */
    static String echo(String value) {
        String text = value == null ? "" : value.strip();
        StringBuilder out = new StringBuilder(MAX_ECHO + 3);
        int i = 0;
        for (; i < text.length() && out.length() < MAX_ECHO; i++) {
            char c = text.charAt(i);
            if (c >= 0x20 && c != 0x7f) {
                out.append(c < 0x7f ? c : '?');
            }
        }
        if (i < text.length()) {
            out.append("...");
        }
        return out.toString().isBlank() ? "(empty)" : out.toString();
    }
}
