package dev.krafter.relay.apikey;

/** The answer to "may this username/password send?": the key, or the reason it may not. */
public sealed interface AuthOutcome {

    record Accepted(ApiKey key) implements AuthOutcome {
    }

    record Refused(Reason reason) implements AuthOutcome {
    }

    /** Each reason's text tells the user what to fix without echoing what they sent. */
    enum Reason {
        WRONG_USERNAME("the username must be the literal string 'apikey'"),
        EMPTY_KEY("no API key was given (the password is empty)"),
        UNKNOWN_KEY("API key is invalid"),
        REVOKED_KEY("API key has been revoked"),
        MISSING_SCOPE("API key lacks the 'mail:send' scope");

        private final String text;

        Reason(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }
}
