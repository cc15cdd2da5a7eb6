package dev.krafter.relay.policy;

import java.util.Set;

import dev.krafter.relay.apikey.ApiKey;

/** ApiKey values for the pure tests: nothing here touches a database. */
final class Keys {
    static final Set<String> SEND = Set.of(ApiKey.SEND_SCOPE);

    private Keys() {
    }

    static ApiKey key(String... allowedStreams) {
        return new ApiKey(1, "acct", "kr_live_Test", SEND, Set.of(allowedStreams), false, ApiKey.Sandbox.OFF);
    }

    static ApiKey sandboxKey(int cap, String... allowedRecipients) {
        return new ApiKey(2, "sandbox-acct", "kr_test_Test", SEND, Set.of("transactional", "broadcast"), false,
            new ApiKey.Sandbox(true, Set.of(allowedRecipients), cap));
    }
}
