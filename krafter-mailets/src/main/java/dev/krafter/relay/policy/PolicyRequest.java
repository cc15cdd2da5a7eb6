package dev.krafter.relay.policy;

import java.util.List;
import java.util.Objects;

import dev.krafter.relay.apikey.ApiKey;

/**
 * One send as the policy sees it, whether it came over SMTP or REST.
 *
 * @param streamHeaders   every raw {@code X-Krafter-Stream} value present, in order (empty: header absent)
 * @param trackingHeaders every raw {@code X-Krafter-Tracking-Enabled} value present, in order
 * @param envelopeFrom    the envelope sender, {@code ""} for the null sender
 * @param envelopeTo      the envelope recipients, as accepted at RCPT
 * @param sizeBytes       the message size; not a policy input today (the 25 MiB limit is enforced
 *                        by the SMTP server before the policy runs), kept so REST and SMTP pass the same facts
 */
public record PolicyRequest(ApiKey apiKey, List<String> streamHeaders, List<String> trackingHeaders,
                            String envelopeFrom, List<String> envelopeTo, long sizeBytes) {

    public PolicyRequest {
        Objects.requireNonNull(apiKey, "apiKey");
        streamHeaders = List.copyOf(streamHeaders);
        trackingHeaders = List.copyOf(trackingHeaders);
        envelopeFrom = envelopeFrom == null ? "" : envelopeFrom;
        envelopeTo = List.copyOf(envelopeTo);
    }
}
