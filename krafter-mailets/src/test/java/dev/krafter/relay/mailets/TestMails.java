package dev.krafter.relay.mailets;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.UUID;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.server.core.MailImpl;
import org.apache.james.server.core.MimeMessageInputStreamSource;
import org.apache.james.server.core.MimeMessageWrapper;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;

/** Mails as the spooler hands them to a mailet: a MailImpl over a MimeMessageInputStreamSource, attributes set. */
final class TestMails {

    private TestMails() {
    }

    static byte[] ascii(String text) {
        return text.getBytes(US_ASCII);
    }

    static MailImpl mail(byte[] raw, UUID emailId, String stream, String configurationSet, boolean listUnsubscribe,
                         String sender, List<String> recipients) throws MessagingException {
        return mail(new ByteArrayInputStream(raw), emailId, stream, configurationSet, listUnsubscribe, sender, recipients);
    }

    static MailImpl mail(InputStream raw, UUID emailId, String stream, String configurationSet, boolean listUnsubscribe,
                         String sender, List<String> recipients) throws MessagingException {
        MailImpl.Builder builder = MailImpl.builder()
            .name("mail-" + UUID.randomUUID())
            .sender(new MailAddress(sender))
            .state("ses")
            .mimeMessage(new MimeMessageWrapper(MimeMessageInputStreamSource.create("test-" + UUID.randomUUID(), raw)))
            .addAttribute(new Attribute(KrafterAttributes.EMAIL_ID, AttributeValue.of(emailId.toString())))
            .addAttribute(new Attribute(KrafterAttributes.STREAM, AttributeValue.of(stream)))
            .addAttribute(new Attribute(KrafterAttributes.CONFIGURATION_SET, AttributeValue.of(configurationSet)))
            .addAttribute(new Attribute(KrafterAttributes.TRACKING, AttributeValue.of(!"transactional".equals(stream))))
            .addAttribute(new Attribute(KrafterAttributes.LIST_UNSUBSCRIBE, AttributeValue.of(listUnsubscribe)));
        for (String recipient : recipients) {
            builder.addRecipient(new MailAddress(recipient));
        }
        return builder.build();
    }

    /** The bytes James would write for the mail's message (writeTo, as a repository or the JMS queue does). */
    static byte[] written(Mail mail) throws MessagingException, IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        mail.getMessage().writeTo(out);
        return out.toByteArray();
    }

    /** The bytes through getMessageInputStream (as the queue and our terminal mailets read them). */
    static byte[] streamed(Mail mail) throws MessagingException, IOException {
        try (InputStream in = ((MimeMessageWrapper) mail.getMessage()).getMessageInputStream()) {
            return in.readAllBytes();
        }
    }
}
