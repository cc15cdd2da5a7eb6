package dev.krafter.relay.mailets;

import java.util.Optional;
import java.util.UUID;

import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.MailetException;

import dev.krafter.relay.events.Delivery;

/** Reads the {@link KrafterAttributes} the SMTP hook set on a mail, with their types checked. */
final class KrafterMail {

    private KrafterMail() {
    }

    static Optional<UUID> emailId(Mail mail) throws MailetException {
        Optional<String> text = string(mail, KrafterAttributes.EMAIL_ID);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(UUID.fromString(text.get()));
        } catch (IllegalArgumentException e) {
            throw new MailetException("mail " + mail.getName() + " has an invalid " + KrafterAttributes.EMAIL_ID.asString()
                + ": " + text.get());
        }
    }

    /** The email id, or a MailetException: a mail without one did not come through the SMTP hook. */
    static UUID requireEmailId(Mail mail) throws MailetException {
        return emailId(mail).orElseThrow(() -> new MailetException(
            "mail " + mail.getName() + " has no " + KrafterAttributes.EMAIL_ID.asString() + " attribute"));
    }

    /**
     * What the {@code delivery.*} events say about this mail. {@code sizeBytes}: the bytes handed to SES
     * when known (-1 otherwise), not {@code getMessageSize()}, which may serialise a modified message again.
     */
    static Delivery delivery(Mail mail, UUID emailId, int attempt, long sizeBytes) {
        return new Delivery(emailId, string(mail, KrafterAttributes.KEY_PREFIX).orElse(null),
            string(mail, KrafterAttributes.ACCOUNT).orElse(null), string(mail, KrafterAttributes.STREAM).orElse(null),
            string(mail, KrafterAttributes.CONFIGURATION_SET).orElse(null), mail.getRecipients().size(), sizeBytes, attempt);
    }

    static Optional<String> string(Mail mail, AttributeName name) {
        return value(mail, name).filter(String.class::isInstance).map(String.class::cast);
    }

    /** True only for a Boolean {@code true} attribute. */
    static boolean flag(Mail mail, AttributeName name) {
        return value(mail, name).filter(Boolean.TRUE::equals).isPresent();
    }

    static Optional<Integer> integer(Mail mail, AttributeName name) {
        return value(mail, name).filter(Integer.class::isInstance).map(Integer.class::cast);
    }

    private static Optional<Object> value(Mail mail, AttributeName name) {
        return mail.getAttribute(name).map(Attribute::getValue).map(AttributeValue::value);
    }
}
