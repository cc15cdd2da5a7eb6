package dev.krafter.relay.apikey;

import java.util.Optional;

import dev.krafter.relay.apikey.AuthOutcome.Accepted;
import dev.krafter.relay.apikey.AuthOutcome.Reason;
import dev.krafter.relay.apikey.AuthOutcome.Refused;

/** SMTP credentials → API key: the username is the literal {@code apikey}, the password the key. */
public final class ApiKeyAuthenticator {
    public static final String USERNAME = "apikey";

    private final ApiKeyStore store;

    public ApiKeyAuthenticator(ApiKeyStore store) {
        this.store = store;
    }

    public AuthOutcome authenticate(String username, String password) {
        if (!USERNAME.equals(username)) {
            return new Refused(Reason.WRONG_USERNAME);
        }
        if (password == null || password.isEmpty()) {
            return new Refused(Reason.EMPTY_KEY);  // typically an unset environment variable in the app's settings
        }
        ApiKeySecret secret = new ApiKeySecret(password);
        Optional<ApiKey> key = secret.wellFormed() ? store.find(secret) : Optional.empty();
        if (key.isEmpty()) {
            return new Refused(Reason.UNKNOWN_KEY);
        }
        if (key.get().revoked()) {
            return new Refused(Reason.REVOKED_KEY);
        }
        if (!key.get().canSend()) {
            return new Refused(Reason.MISSING_SCOPE);
        }
        return new Accepted(key.get());
    }
}
