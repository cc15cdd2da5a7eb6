package dev.krafter.relay.apikey;

import java.util.Set;

/**
 * A resolved API key: who is sending and what they may do. Never holds the key itself.
 *
 * @param prefix the display prefix (e.g. {@code kr_live_AbC1}), safe to log and show
 */
public record ApiKey(long id, String accountId, String prefix, Set<String> scopes,
                     Set<String> allowedStreams, boolean revoked, Sandbox sandbox) {

    public static final String SEND_SCOPE = "mail:send";

    public ApiKey {
        scopes = Set.copyOf(scopes);
        allowedStreams = Set.copyOf(allowedStreams);
    }

    public boolean canSend() {
        return scopes.contains(SEND_SCOPE);
    }

    /**
     * The account's sandbox settings: while {@code enabled}, mail may only go to
     * {@code allowedRecipients}, one recipient a message, at most {@code dailyCap} a rolling 24 hours.
     */
    public record Sandbox(boolean enabled, Set<String> allowedRecipients, int dailyCap) {
        public static final Sandbox OFF = new Sandbox(false, Set.of(), 0);

        public Sandbox {
            allowedRecipients = Set.copyOf(allowedRecipients);
        }
    }
}
