package dev.krafter.relay.queue;

import java.io.IOException;
import java.util.Date;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.server.core.MailImpl;
import org.apache.james.server.core.MimeMessageWrapper;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.PerRecipientHeaders;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A {@link Mail} as a queue row: envelope in columns, everything else James keeps on a mail (state,
 * error, remote host and address, last update, attributes in James's own JSON form, per-recipient
 * headers) in one JSON document, and the message bytes as they are.
 */
final class MailCodec {
    private static final ObjectMapper JSON = new ObjectMapper();

    private MailCodec() {
    }

    /** What a row holds of one mail, ready to bind. */
    record Encoded(String name, String sender, String[] recipients, String json, MessageBytes message) {
    }

    static Encoded encode(Mail mail) throws MessagingException {
        ObjectNode doc = JSON.createObjectNode();
        doc.put("state", mail.getState());
        doc.put("error", mail.getErrorMessage());
        doc.put("remoteAddr", mail.getRemoteAddr());
        doc.put("remoteHost", mail.getRemoteHost());
        if (mail.getLastUpdated() != null) {
            doc.put("lastUpdated", mail.getLastUpdated().getTime());
        }
        ObjectNode attributes = doc.putObject("attributes");
        mail.attributes().forEach(attribute -> attribute.getValue().toJson()
            .ifPresent(value -> attributes.set(attribute.getName().asString(), value)));
        ObjectNode headers = doc.putObject("perRecipientHeaders");
        mail.getPerRecipientSpecificHeaders().getHeadersByRecipient().asMap().forEach((recipient, list) -> {
            ArrayNode array = headers.putArray(recipient.asString());
            list.forEach(header -> array.addArray().add(header.getName()).add(header.getValue()));
        });
        MessageBytes message;
        try {
            message = MessageBytes.of(mail.getMessage(), mail.getMessageSize());
        } catch (IOException e) {
            throw new MessagingException("cannot read the message of mail " + mail.getName(), e);
        }
        String[] recipients = mail.getRecipients().stream().map(MailAddress::asString).toArray(String[]::new);
        return new Encoded(mail.getName(), mail.getMaybeSender().asString(""), recipients, doc.toString(), message);
    }

    static MailImpl decode(String sourceId, String name, String sender, String[] recipients, String json, byte[] message)
        throws MessagingException {
        JsonNode doc;
        try {
            doc = JSON.readTree(json);
        } catch (IOException e) {
            throw new MessagingException("unreadable queue row for mail " + name, e);
        }
        MailImpl.Builder builder = MailImpl.builder()
            .name(name)
            .sender(sender.isEmpty() ? MaybeSender.nullSender() : MaybeSender.getMailSender(sender))
            .addRecipients(addresses(List.of(recipients)))
            .state(text(doc, "state"))
            .errorMessage(text(doc, "error"))
            .remoteAddr(text(doc, "remoteAddr"))
            .remoteHost(text(doc, "remoteHost"));
        if (doc.hasNonNull("lastUpdated")) {
            builder.lastUpdated(new Date(doc.get("lastUpdated").asLong()));
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = doc.path("attributes").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> attribute = it.next();
            builder.addAttribute(new Attribute(AttributeName.of(attribute.getKey()), AttributeValue.fromJson(attribute.getValue())));
        }
        PerRecipientHeaders headers = new PerRecipientHeaders();
        for (Iterator<Map.Entry<String, JsonNode>> it = doc.path("perRecipientHeaders").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            MailAddress recipient = address(entry.getKey());
            entry.getValue().forEach(pair -> headers.addHeaderForRecipient(PerRecipientHeaders.Header.builder()
                .name(pair.get(0).asText()).value(pair.get(1).asText()).build(), recipient));
        }
        builder.addAllHeadersForRecipients(headers);
        MailImpl mail = builder.build();
        // Not the builder's mimeMessage(): MailImpl.setMessage copies the message it is given
        // (to a temporary file above 100 KiB); this wrapper is new and the mail's alone.
        mail.setMessageNoCopy(new MimeMessageWrapper(new StoredMessage(sourceId, message)));
        return mail;
    }

    private static String text(JsonNode doc, String field) {
        JsonNode value = doc.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    private static List<MailAddress> addresses(List<String> values) throws MessagingException {
        MailAddress[] out = new MailAddress[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = address(values.get(i));
        }
        return List.of(out);
    }

    private static MailAddress address(String value) throws MessagingException {
        try {
            return new MailAddress(value);
        } catch (javax.mail.internet.AddressException e) {
            throw new MessagingException("unreadable address in queue row: " + value, e);
        }
    }
}
