package dev.krafter.relay.policy;

import java.util.List;

/**
 * What the email record keeps about a message besides its policy. Text fields are cleaned here
 * because they come from the sender: PostgreSQL refuses NUL in TEXT, and a message that can never
 * be recorded would get 451 forever instead of going through.
 *
 * @param from      the envelope sender, {@code ""} for the null sender
 * @param subject   the decoded Subject, or null
 * @param messageId the Message-ID header, or null
 */
public record MessageFacts(String from, List<String> to, String subject, String messageId, long size) {
    static final int MAX_TEXT = 998; // RFC 5322's line limit: plenty for a subject or an id

    public MessageFacts {
        from = clean(from == null ? "" : from);
        to = to.stream().map(MessageFacts::clean).toList();
        subject = subject == null ? null : clean(subject);
        messageId = messageId == null ? null : clean(messageId);
        size = Math.max(0, size);
    }

    private static String clean(String text) {
        String withoutNul = text.indexOf('\0') < 0 ? text : text.replace("\0", "");
        if (withoutNul.length() <= MAX_TEXT) {
            return withoutNul;
        }
        int end = Character.isHighSurrogate(withoutNul.charAt(MAX_TEXT - 1)) ? MAX_TEXT - 1 : MAX_TEXT;
        return withoutNul.substring(0, end);
    }
}
