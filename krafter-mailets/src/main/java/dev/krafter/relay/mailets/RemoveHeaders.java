package dev.krafter.relay.mailets;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Predicate;

import javax.mail.MessagingException;

import org.apache.mailet.Mail;
import org.apache.mailet.MailetException;
import org.apache.mailet.base.GenericMailet;

import com.google.common.base.Splitter;

/**
 * Removes header fields by name, byte-exact: every other byte of the message stays as it was (no
 * MIME-Version or Content-* added, no re-folding, the body not parsed). Names match case-insensitively
 * and a folded field goes with all its continuation lines. A message with no matching field is left
 * alone (no copy).
 *
 * <pre>{@code
 * <mailet match="All" class="dev.krafter.relay.mailets.RemoveHeaders">
 *     <names>Bcc</names>
 *     <prefixes>X-Krafter-</prefixes>
 * </mailet>
 * }</pre>
 *
 * {@code names}: comma-separated field names; {@code prefixes}: comma-separated name prefixes. At
 * least one of the two is required.
 */
public class RemoveHeaders extends GenericMailet {
    private static final Splitter LIST = Splitter.on(',').trimResults().omitEmptyStrings();

    private HeaderRewrite rewrite;

    @Override
    public void init() throws MessagingException {
        checkInitParameters(Set.of("names", "prefixes"));
        List<String> names = lowerCase(getInitParameter("names", ""));
        List<String> prefixes = lowerCase(getInitParameter("prefixes", defaultPrefixes()));
        if (names.isEmpty() && prefixes.isEmpty()) {
            throw new MailetException(getMailetName() + ": give the fields to remove in <names> or <prefixes>");
        }
        Predicate<String> remove = name -> names.contains(name) || prefixes.stream().anyMatch(name::startsWith);
        rewrite = new HeaderRewrite(remove, List.of());
    }

    /** The prefixes removed when no {@code prefixes} parameter is given. */
    protected String defaultPrefixes() {
        return "";
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        rewrite.applyTo(mail);
    }

    @Override
    public String getMailetInfo() {
        return "Krafter RemoveHeaders: byte-exact header removal";
    }

    private static List<String> lowerCase(String list) {
        return LIST.splitToStream(list).map(name -> name.toLowerCase(Locale.ROOT)).toList();
    }
}
