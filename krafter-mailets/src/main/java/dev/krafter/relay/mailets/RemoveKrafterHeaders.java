package dev.krafter.relay.mailets;

/**
 * {@link RemoveHeaders} preset for the relay's request headers: removes every {@code X-Krafter-*}
 * field (X-Krafter-Stream, X-Krafter-Tracking-Enabled, and any future one) — they are instructions
 * to the relay, read by the SMTP hook, not part of the message the recipients get.
 *
 * <pre>{@code
 * <mailet match="All" class="dev.krafter.relay.mailets.RemoveKrafterHeaders"/>
 * }</pre>
 *
 * Takes {@link RemoveHeaders}'s {@code names} and {@code prefixes}; {@code prefixes} defaults to
 * {@code X-Krafter-}.
 */
public class RemoveKrafterHeaders extends RemoveHeaders {
    public static final String PREFIX = "X-Krafter-";

    @Override
    protected String defaultPrefixes() {
        return PREFIX;
    }

    @Override
    public String getMailetInfo() {
        return "Krafter RemoveKrafterHeaders: byte-exact removal of X-Krafter-* request headers";
    }
}
