package dev.krafter.relay.clients;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

import javax.mail.BodyPart;
import javax.mail.MessagingException;
import javax.mail.Multipart;
import javax.mail.Part;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import com.fasterxml.jackson.databind.JsonNode;

import dev.krafter.relay.ses.SesStandIn;

/** One SES v2 SendEmail request the relay made: the request JSON and the raw message in it. */
record Delivery(JsonNode request, byte[] raw) {

    /**
     * Waits for the one SendEmail request whose message contains {@code token}: normally well under a
     * second after the 250; 12 s at most, less than SesSend's first retry waits (15-30 s), so a message
     * that needed a retry shows up as a failure here rather than as a slow pass.
     */
    static Delivery await(SesStandIn ses, String token) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(12).toNanos();
        List<SesStandIn.Call> found = ses.callsContaining(token);
        while (found.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
            found = ses.callsContaining(token);
        }
        if (found.size() != 1) {
            throw new AssertionError(found.size() + " SendEmail requests with " + token + " (expected exactly 1)");
        }
        return parse(found.get(0).request());
    }

    static Delivery parse(JsonNode request) {
        String data = request.path("Content").path("Raw").path("Data").asText("");
        return new Delivery(request, Base64.getDecoder().decode(data));
    }

    Optional<String> configurationSet() {
        return Optional.ofNullable(request.get("ConfigurationSetName")).map(JsonNode::asText);
    }

    Optional<String> fromEmailAddress() {
        return Optional.ofNullable(request.get("FromEmailAddress")).map(JsonNode::asText);
    }

    /** Every address of Destination (To, Cc and Bcc: the relay puts the envelope in Bcc). */
    List<String> destination() {
        List<String> addresses = new ArrayList<>();
        for (String field : List.of("ToAddresses", "CcAddresses", "BccAddresses")) {
            request.path("Destination").path(field).forEach(a -> addresses.add(a.asText()));
        }
        return addresses;
    }

    Optional<String> tag(String name) {
        for (JsonNode tag : request.path("EmailTags")) {
            if (name.equals(tag.path("Name").asText())) {
                return Optional.of(tag.path("Value").asText());
            }
        }
        return Optional.empty();
    }

    /** The header section of the raw message as sent (up to the first empty line), unfolded lines kept. */
    String headerSection() {
        int end = indexOf(raw, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        return new String(raw, 0, end < 0 ? raw.length : end + 2, StandardCharsets.UTF_8);
    }

    /** The header field names in order, as they appear in the raw message. */
    List<String> headerNames() {
        List<String> names = new ArrayList<>();
        for (String line : headerSection().split("\r\n")) {
            int colon = line.indexOf(':');
            if (!line.isEmpty() && !Character.isWhitespace(line.charAt(0)) && colon > 0) {
                names.add(line.substring(0, colon));
            }
        }
        return names;
    }

    MimeMessage mime() throws MessagingException {
        return new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(raw));
    }

    /** All leaf parts of the message (depth first). */
    List<Part> leafParts() throws MessagingException, IOException {
        List<Part> leaves = new ArrayList<>();
        collect(mime(), leaves);
        return leaves;
    }

    private static void collect(Part part, List<Part> leaves) throws MessagingException, IOException {
        if (part.isMimeType("multipart/*")) {
            Multipart multipart = (Multipart) part.getContent();
            for (int i = 0; i < multipart.getCount(); i++) {
                BodyPart child = multipart.getBodyPart(i);
                collect(child, leaves);
            }
        } else {
            leaves.add(part);
        }
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
