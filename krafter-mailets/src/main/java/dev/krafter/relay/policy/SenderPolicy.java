package dev.krafter.relay.policy;

import java.util.Objects;
import java.util.Optional;

import dev.krafter.relay.apikey.ApiKey;

/**
 * The sender policy shared by SMTP and REST: which stream, whether tracked, which SES
 * configuration set, whether List-Unsubscribe is added, or why the send is refused. Pure: no I/O,
 * no clock; the only rule that needs the database (the sandbox's rolling cap) is enforced by
 * {@link dev.krafter.relay.emails.EmailRecords#accept} in the same transaction that records the email.
 *
 * <p>Checks run in this order, and the first failure is the answer: stream header
 * (invalid_stream), the key's allowed_streams (stream_not_allowed), sandbox recipients
 * (sandbox_recipient_not_allowed, sandbox_extra_recipients).
 */
public final class SenderPolicy {
    private final ConfigurationSets configurationSets;

    public SenderPolicy(ConfigurationSets configurationSets) {
        this.configurationSets = Objects.requireNonNull(configurationSets, "configurationSets");
    }

    public PolicyDecision decide(PolicyRequest request) {
        StreamHeader.Result streamResult = StreamHeader.resolve(request.streamHeaders());
        if (streamResult instanceof StreamHeader.Invalid invalid) {
            return invalid.violation();
        }
        Stream stream = ((StreamHeader.Valid) streamResult).stream();
        ApiKey key = request.apiKey();
        // allowed_streams is taken literally: an empty list allows nothing.
        if (!key.allowedStreams().contains(stream.wireName())) {
            return PolicyViolation.streamNotAllowed(stream);
        }
        Optional<PolicyViolation> sandbox = SandboxRules.checkEnvelope(key.sandbox(), request.envelopeTo());
        if (sandbox.isPresent()) {
            return sandbox.get();
        }
        boolean tracking = TrackingHeader.override(request.trackingHeaders()).orElse(stream.defaultTracking());
        return new ResolvedPolicy(stream, tracking, configurationSets.select(stream, tracking),
            stream == Stream.BROADCAST);
    }

    /**
     * The RCPT-time check, so a sandbox refusal comes at the recipient it concerns rather than after
     * the whole body was uploaded. {@code alreadyAccepted} is the number of recipients this mail
     * transaction accepted before this one.
     */
    public Optional<PolicyViolation> checkRecipient(ApiKey key, int alreadyAccepted, String recipient) {
        return SandboxRules.checkRecipient(key.sandbox(), alreadyAccepted, recipient);
    }

    public ConfigurationSets configurationSets() {
        return configurationSets;
    }
}
