package dev.krafter.relay.admin;

import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

import dev.krafter.relay.apikey.ApiKey.Sandbox;

/**
 * A change to an account's sandbox: each part given replaces the current value, each part left
 * out keeps it (so turning the sandbox off and on again does not lose the allow-list).
 */
public record SandboxChange(Optional<Boolean> enabled, Optional<Set<String>> allowedRecipients, Optional<Integer> dailyCap) {
    /** Generous on purpose: the sandbox compares whole addresses, it does not parse them. */
    private static final Pattern ADDRESS = Pattern.compile("[^\\s@<>,]+@[^\\s@<>,]+");
    static final int MAX_DAILY_CAP = 1_000_000;

    public SandboxChange {
        allowedRecipients = allowedRecipients.map(Set::copyOf);
    }

    public boolean isEmpty() {
        return enabled.isEmpty() && allowedRecipients.isEmpty() && dailyCap.isEmpty();
    }

    /** @throws AdminRefusal (INVALID) naming the field */
    Sandbox applyTo(Sandbox current) {
        if (isEmpty()) {
            throw AdminRefusal.invalid("nothing to change: give sandbox, allowed_recipients and/or daily_cap");
        }
        for (String address : allowedRecipients.orElse(Set.of())) {
            if (address.length() > 320 || !ADDRESS.matcher(address).matches()) {
                throw AdminRefusal.invalid("allowed_recipients: '" + address + "' is not an email address");
            }
        }
        int cap = dailyCap.orElse(current.dailyCap());
        if (cap < 0 || cap > MAX_DAILY_CAP) {
            throw AdminRefusal.invalid("daily_cap: " + cap + " is not between 0 and " + MAX_DAILY_CAP);
        }
        return new Sandbox(enabled.orElse(current.enabled()), allowedRecipients.orElse(current.allowedRecipients()), cap);
    }
}
