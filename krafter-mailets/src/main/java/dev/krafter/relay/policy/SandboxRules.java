package dev.krafter.relay.policy;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

import dev.krafter.relay.apikey.ApiKey.Sandbox;

/**
 * The recipient half of the sandbox: only allow-listed addresses, one a message. (The rolling
 * 24-hour cap needs the database and lives in {@link dev.krafter.relay.emails.EmailRecords}.) Addresses compare
 * case-insensitively as whole strings: people write {@code Bob@Example.com} and
 * {@code bob@example.com} for the same mailbox, and a sandbox is not the place to teach RFC 5321
 * local-part semantics.
 */
final class SandboxRules {

    private SandboxRules() {
    }

    /** One recipient as it arrives at RCPT, given how many this transaction already accepted. */
    static Optional<PolicyViolation> checkRecipient(Sandbox sandbox, int alreadyAccepted, String recipient) {
        if (!sandbox.enabled()) {
            return Optional.empty();
        }
        if (!allowListed(sandbox, recipient)) {
            return Optional.of(PolicyViolation.sandboxRecipientNotAllowed(recipient));
        }
        if (alreadyAccepted >= 1) {
            return Optional.of(PolicyViolation.sandboxExtraRecipients());
        }
        return Optional.empty();
    }

    /** The whole envelope, at the end of DATA (or for a REST send): the same rules, same order. */
    static Optional<PolicyViolation> checkEnvelope(Sandbox sandbox, List<String> recipients) {
        for (int i = 0; i < recipients.size(); i++) {
            Optional<PolicyViolation> violation = checkRecipient(sandbox, i, recipients.get(i));
            if (violation.isPresent()) {
                return violation;
            }
        }
        return Optional.empty();
    }

    private static boolean allowListed(Sandbox sandbox, String recipient) {
        String wanted = normalise(recipient);
        return sandbox.allowedRecipients().stream().anyMatch(allowed -> normalise(allowed).equals(wanted));
    }

    private static String normalise(String address) {
        return address == null ? "" : address.strip().toLowerCase(Locale.ROOT);
    }
}
