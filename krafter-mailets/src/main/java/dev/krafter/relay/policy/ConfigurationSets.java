package dev.krafter.relay.policy;

import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The four SES configuration sets, one per (stream, tracking). Tracking is switched on and off only
 * by choosing the set: Krafter never touches the message body.
 *
 * <p>Environment (blank or unset → the default in brackets):
 * <ul>
 * <li>{@code KRAFTER_SES_CONFIGSET_TRANSACTIONAL} [{@code krafter-transactional}]: transactional, no tracking (the default)</li>
 * <li>{@code KRAFTER_SES_CONFIGSET_TRANSACTIONAL_TRACKED} [{@code krafter-transactional-tracked}]: transactional with {@code X-Krafter-Tracking-Enabled: true}</li>
 * <li>{@code KRAFTER_SES_CONFIGSET_BROADCAST} [{@code krafter-broadcast}]: broadcast with tracking (the default)</li>
 * <li>{@code KRAFTER_SES_CONFIGSET_BROADCAST_UNTRACKED} [{@code krafter-broadcast-untracked}]: broadcast with {@code X-Krafter-Tracking-Enabled: false}</li>
 * </ul>
 */
public record ConfigurationSets(String transactional, String transactionalTracked,
                                String broadcast, String broadcastUntracked) {

    public static final String ENV_TRANSACTIONAL = "KRAFTER_SES_CONFIGSET_TRANSACTIONAL";
    public static final String ENV_TRANSACTIONAL_TRACKED = "KRAFTER_SES_CONFIGSET_TRANSACTIONAL_TRACKED";
    public static final String ENV_BROADCAST = "KRAFTER_SES_CONFIGSET_BROADCAST";
    public static final String ENV_BROADCAST_UNTRACKED = "KRAFTER_SES_CONFIGSET_BROADCAST_UNTRACKED";

    /** SES's own rule for configuration set names; checked at start-up rather than at the
     * first send. Declared before DEFAULTS: static initialisers run in order. */
    private static final Pattern SES_NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    public static final ConfigurationSets DEFAULTS = new ConfigurationSets(
        "krafter-transactional", "krafter-transactional-tracked", "krafter-broadcast", "krafter-broadcast-untracked");

    public ConfigurationSets {
        for (String name : new String[] {transactional, transactionalTracked, broadcast, broadcastUntracked}) {
            Objects.requireNonNull(name, "configuration set name");
            if (!SES_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("invalid SES configuration set name '" + name
                    + "': 1-64 letters, digits, '-' or '_'");
            }
        }
    }

    /** Reads the four names from an environment map such as {@code System.getenv()}. */
    public static ConfigurationSets fromEnv(Map<String, String> env) {
        return new ConfigurationSets(
            value(env, ENV_TRANSACTIONAL, DEFAULTS.transactional),
            value(env, ENV_TRANSACTIONAL_TRACKED, DEFAULTS.transactionalTracked),
            value(env, ENV_BROADCAST, DEFAULTS.broadcast),
            value(env, ENV_BROADCAST_UNTRACKED, DEFAULTS.broadcastUntracked));
    }

    public String select(Stream stream, boolean tracking) {
        return switch (stream) {
            case TRANSACTIONAL -> tracking ? transactionalTracked : transactional;
            case BROADCAST -> tracking ? broadcast : broadcastUntracked;
        };
    }

    private static String value(Map<String, String> env, String name, String fallback) {
        String value = env.get(name);
        return value == null || value.isBlank() ? fallback : value.strip();
    }
}
