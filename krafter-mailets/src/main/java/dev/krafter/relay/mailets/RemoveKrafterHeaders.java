package dev.krafter.relay.mailets;

/**
 * {@link RemoveHeaders} preset for headers that are instructions, not message: every {@code X-Krafter-*}
 * field (X-Krafter-Stream, X-Krafter-Tracking-Enabled, and any future one), read by the SMTP hook, and
 * every {@code X-SES-*} field, which SES would act on (X-SES-CONFIGURATION-SET, X-SES-MESSAGE-TAGS,
 * X-SES-SOURCE-ARN, …): the configuration set and tags are the relay's to choose, not the sender's.
 *
 * <pre>{@code
 * <mailet match="All" class="dev.krafter.relay.mailets.RemoveKrafterHeaders"/>
 * }</pre>
 *
 * Takes {@link RemoveHeaders}'s {@code names} and {@code prefixes}; {@code prefixes} defaults to
 * {@code X-Krafter-,X-SES-}.
 */
public class RemoveKrafterHeaders extends RemoveHeaders {
    public static final String PREFIX = "X-Krafter-";
    public static final String SES_PREFIX = "X-SES-";

    @Override
    protected String defaultPrefixes() {
        return PREFIX + "," + SES_PREFIX;
    }

    @Override
    public String getMailetInfo() {
        return "Krafter RemoveKrafterHeaders: byte-exact removal of X-Krafter-* and X-SES-* headers";
    }
}
