package dev.krafter.relay.policy;

import java.util.Optional;

/** The two sending streams. Each has its own tracking default (product page, "X-Krafter-Stream"). */
public enum Stream {
    TRANSACTIONAL("transactional", false),
    BROADCAST("broadcast", true);

    private final String wireName;
    private final boolean defaultTracking;

    Stream(String wireName, boolean defaultTracking) {
        this.wireName = wireName;
        this.defaultTracking = defaultTracking;
    }

    /** The name as written in headers, in allowed_streams and in the emails table. */
    public String wireName() {
        return wireName;
    }

    public boolean defaultTracking() {
        return defaultTracking;
    }

    /**
     * Exact, case-sensitive match: the product page spells the values in lowercase and says "anything
     * else" is rejected, and the REST API's stream field is an exact enum too. A wrong case is a loud
     * 550, never a silent misroute, so strictness costs the user one visible fix at most.
     */
    public static Optional<Stream> fromWireName(String name) {
        for (Stream stream : values()) {
            if (stream.wireName.equals(name)) {
                return Optional.of(stream);
            }
        }
        return Optional.empty();
    }

    @Override
    public String toString() {
        return wireName;
    }
}
