package dev.krafter.relay.mailets;

import org.apache.mailet.AttributeName;

/**
 * The Mail attributes the SMTP hooks set for the pipeline. All are plain JSON-serialisable values
 * (String, Boolean) so that they survive the persistent mail queue.
 */
public final class KrafterAttributes {
    /** The email record's id (UUID text), as answered in {@code 250 2.0.0 OK id=…}. */
    public static final AttributeName EMAIL_ID = AttributeName.of("krafter.emailId");
    /** {@code transactional} or {@code broadcast}. */
    public static final AttributeName STREAM = AttributeName.of("krafter.stream");
    /** Whether open/click tracking is on for this message (Boolean). */
    public static final AttributeName TRACKING = AttributeName.of("krafter.tracking");
    /** The SES configuration set the resolved policy selected. */
    public static final AttributeName CONFIGURATION_SET = AttributeName.of("krafter.configurationSet");
    /** Whether List-Unsubscribe headers are to be added (Boolean). */
    public static final AttributeName LIST_UNSUBSCRIBE = AttributeName.of("krafter.listUnsubscribe");
    /** The API key's display prefix, for logs. */
    public static final AttributeName KEY_PREFIX = AttributeName.of("krafter.keyPrefix");
    /** The account the API key belongs to, for logs (absent on mail queued before it was added). */
    public static final AttributeName ACCOUNT = AttributeName.of("krafter.account");

    private KrafterAttributes() {
    }
}
