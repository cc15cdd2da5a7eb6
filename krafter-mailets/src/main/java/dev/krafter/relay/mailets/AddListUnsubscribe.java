package dev.krafter.relay.mailets;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

import javax.mail.MessagingException;

import org.apache.mailet.Mail;
import org.apache.mailet.MailetException;
import org.apache.mailet.base.GenericMailet;

/**
 * For a mail whose {@link KrafterAttributes#LIST_UNSUBSCRIBE} attribute is {@code true} (the broadcast
 * stream), adds
 * <pre>
 * List-Unsubscribe: &lt;mailto:…&gt;, &lt;https://…&gt;
 * List-Unsubscribe-Post: List-Unsubscribe=One-Click
 * </pre>
 * (RFC 2369, RFC 8058) with the email id filled into both URIs, byte-exact otherwise. Existing
 * List-Unsubscribe and List-Unsubscribe-Post fields are replaced: the relay's unsubscribe handling is
 * the one that works for this stream, and two List-Unsubscribe fields are invalid. Other mails pass
 * untouched.
 *
 * <pre>{@code
 * <mailet match="All" class="dev.krafter.relay.mailets.AddListUnsubscribe">
 *     <mailto>mailto:unsubscribe@krafter.dev?subject=unsubscribe-{emailId}</mailto>
 *     <url>https://unsubscribe.krafter.dev/u/{emailId}</url>
 * </mailet>
 * }</pre>
 *
 * {@code mailto}: a mailto URI template ({@code mailto:} is prepended when missing); {@code url}: an
 * https URI template, the RFC 8058 one-click target; {@code {emailId}} is replaced by the email id.
 * At least one is required; List-Unsubscribe-Post is added only with {@code url}.
 */
public class AddListUnsubscribe extends GenericMailet {
    public static final String EMAIL_ID_PLACEHOLDER = "{emailId}";

    private static final String LIST_UNSUBSCRIBE = "List-Unsubscribe";
    private static final String LIST_UNSUBSCRIBE_POST = "List-Unsubscribe-Post";
    private static final int FOLD_AT = 78;
    // Inside <…> of a header list a URI may not hold white space, '<', '>' or ',' (RFC 2369 list syntax).
    private static final Pattern URI_TEMPLATE = Pattern.compile("[!-~&&[^<>,]]+");

    private Optional<String> mailto;
    private Optional<String> url;

    @Override
    public void init() throws MessagingException {
        checkInitParameters(Set.of("mailto", "url"));
        mailto = parameter("mailto").map(value -> value.regionMatches(true, 0, "mailto:", 0, 7) ? value : "mailto:" + value);
        url = parameter("url");
        if (mailto.isEmpty() && url.isEmpty()) {
            throw new MailetException(getMailetName() + ": give <mailto> and/or <url>");
        }
        if (url.isPresent() && !url.get().regionMatches(true, 0, "https://", 0, 8)) {
            throw new MailetException(getMailetName() + ": <url> must be an https URI (RFC 8058): " + url.get());
        }
        for (String template : List.of(mailto.orElse("mailto:x@example.com"), url.orElse("https://example.com"))) {
            validate(template);
        }
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        if (!KrafterMail.flag(mail, KrafterAttributes.LIST_UNSUBSCRIBE)) {
            return;
        }
        UUID emailId = KrafterMail.requireEmailId(mail);
        List<HeaderField> fields = new ArrayList<>(2);
        fields.add(new HeaderField(LIST_UNSUBSCRIBE, listUnsubscribe(emailId)));
        if (url.isPresent()) {
            fields.add(new HeaderField(LIST_UNSUBSCRIBE_POST, "List-Unsubscribe=One-Click"));
        }
        String unsubscribe = LIST_UNSUBSCRIBE.toLowerCase(Locale.ROOT);
        String post = LIST_UNSUBSCRIBE_POST.toLowerCase(Locale.ROOT);
        new HeaderRewrite(name -> name.equals(unsubscribe) || name.equals(post), fields).applyTo(mail);
    }

    /** {@code <mailto:…>, <https://…>}, folded before the second URI when the line would pass 78 characters. */
    String listUnsubscribe(UUID emailId) {
        List<String> uris = new ArrayList<>(2);
        mailto.ifPresent(template -> uris.add("<" + fill(template, emailId) + ">"));
        url.ifPresent(template -> uris.add("<" + fill(template, emailId) + ">"));
        String oneLine = String.join(", ", uris);
        if (LIST_UNSUBSCRIBE.length() + 2 + oneLine.length() <= FOLD_AT) {
            return oneLine;
        }
        return String.join(",\r\n ", uris);
    }

    @Override
    public String getMailetInfo() {
        return "Krafter AddListUnsubscribe: RFC 2369 / RFC 8058 headers for the broadcast stream";
    }

    private Optional<String> parameter(String name) {
        return getInitParameterAsOptional(name).map(String::trim).filter(value -> !value.isEmpty());
    }

    private static String fill(String template, UUID emailId) {
        return template.replace(EMAIL_ID_PLACEHOLDER, emailId.toString());
    }

    private void validate(String template) throws MailetException {
        String sample = fill(template, new UUID(0, 0));
        if (!URI_TEMPLATE.matcher(sample).matches()) {
            throw new MailetException(getMailetName() + ": not usable in List-Unsubscribe (ASCII without spaces, <, >, ','): " + template);
        }
        try {
            new URI(sample);
        } catch (URISyntaxException e) {
            throw new MailetException(getMailetName() + ": not a URI: " + template, e);
        }
    }
}
