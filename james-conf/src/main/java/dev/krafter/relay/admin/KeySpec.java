package dev.krafter.relay.admin;

import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.policy.Stream;

/**
 * What a new API key may do, as an admin asks for it (WebAdmin's JSON or the CLI's options).
 * Omitted scopes default to {@code mail:send}, omitted streams to both; a sandbox key is a
 * {@code kr_test_} key and puts its account in the sandbox.
 */
public record KeySpec(String account, Set<String> scopes, Set<String> allowedStreams, boolean sandbox) {
    /** Account ids come from the platform; here they only must be printable, one path segment. */
    private static final Pattern ACCOUNT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.:@+-]{0,127}");
    private static final Pattern SCOPE = Pattern.compile("[a-z][a-z0-9_.-]*(:[a-z0-9_.*-]+)*");

    public KeySpec {
        scopes = Set.copyOf(scopes);
        allowedStreams = Set.copyOf(allowedStreams);
    }

    public static KeySpec of(String account, Optional<Set<String>> scopes, Optional<Set<String>> streams, boolean sandbox) {
        return new KeySpec(account == null ? "" : account,
            scopes.orElse(Set.of(ApiKey.SEND_SCOPE)),
            streams.orElse(defaultStreams()),
            sandbox);
    }

    static Set<String> defaultStreams() {
        Set<String> all = new LinkedHashSet<>();
        for (Stream stream : Stream.values()) {
            all.add(stream.wireName());
        }
        return all;
    }

    /** @throws AdminRefusal (INVALID) naming the field and what is accepted */
    KeySpec validated() {
        checkAccount(account);
        if (scopes.isEmpty()) {
            throw AdminRefusal.invalid("scopes: give at least one scope, e.g. " + ApiKey.SEND_SCOPE);
        }
        for (String scope : scopes) {
            if (!SCOPE.matcher(scope).matches()) {
                throw AdminRefusal.invalid("scopes: '" + scope + "' is not a scope (lowercase words joined by ':', e.g. "
                    + ApiKey.SEND_SCOPE + ")");
            }
        }
        if (allowedStreams.isEmpty()) {
            throw AdminRefusal.invalid("allowed_streams: give at least one of " + defaultStreams());
        }
        for (String stream : allowedStreams) {
            if (Stream.fromWireName(stream).isEmpty()) {
                throw AdminRefusal.invalid("allowed_streams: unknown stream '" + stream + "' (known: " + defaultStreams() + ")");
            }
        }
        return this;
    }

    static void checkAccount(String account) {
        if (account == null || account.isBlank()) {
            throw AdminRefusal.invalid("account is required");
        }
        if (!ACCOUNT.matcher(account).matches()) {
            throw AdminRefusal.invalid("account: '" + account + "' is not an account id (letters, digits and _.:@+-, at most 128 characters)");
        }
    }
}
