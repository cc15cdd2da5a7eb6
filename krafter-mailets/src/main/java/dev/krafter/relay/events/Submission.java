package dev.krafter.relay.events;

/**
 * Who submitted a message over SMTP, as every {@code smtp.*} event reports it. Never the key itself:
 * the display prefix only; no addresses, a count of recipients.
 *
 * @param sizeBytes the message size in octets, or -1 when unknown
 */
public record Submission(String keyPrefix, String account, String remoteIp, int recipients, long sizeBytes) {
}
