package dev.krafter.relay.mailets;

import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.mailet.Mail;
import org.apache.mailet.MailetException;
import org.apache.mailet.base.GenericMailet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.krafter.relay.db.StoreException;
import dev.krafter.relay.events.RelayEvents;
import dev.krafter.relay.emails.DeliveryRecords;

/**
 * For the {@code error} processor: marks the mail's email record {@code failed} with the error the
 * mailet container attached ({@code Mail.getErrorMessage()}: "Exception calling &lt;mailet&gt;: …" and
 * the stack trace — the record keeps the first line), so a mail that broke the pipeline is never a
 * silent drop. The mail itself goes on to the next mailet, which stores it in a repository:
 *
 * <pre>{@code
 * <processor state="error">
 *     <mailet match="All" class="dev.krafter.relay.mailets.RecordFailure"/>
 *     <mailet match="All" class="ToRepository">
 *         <repositoryPath>file://var/mail/error/</repositoryPath>
 *     </mailet>
 * </processor>
 * }</pre>
 *
 * A record already {@code sent} stays sent. A database failure here is logged, not thrown, so the
 * mail still reaches the repository with its original error.
 */
public class RecordFailure extends GenericMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger(RecordFailure.class);
    private static final String NO_MESSAGE = "failed in the relay's mail pipeline (no error message)";

    private final DeliveryRecords records;
    private final RelayEvents events;

    @Inject
    public RecordFailure(DeliveryRecords records, RelayEvents events) {
        this.records = Objects.requireNonNull(records, "records");
        this.events = Objects.requireNonNull(events, "events");
    }

    @Override
    public void init() throws MessagingException {
        checkInitParameters(Set.of());
    }

    @Override
    public void service(Mail mail) {
        String error = summary(mail.getErrorMessage());
        Optional<UUID> emailId;
        try {
            emailId = KrafterMail.emailId(mail);
        } catch (MailetException e) {
            LOGGER.error("mail {} failed ({}) and its email id is unusable: {}", mail.getName(), error, e.getMessage());
            return;
        }
        if (emailId.isEmpty()) {
            LOGGER.error("mail {} failed ({}) and carries no email id; it goes to the error repository only", mail.getName(), error);
            return;
        }
        events.deliveryFailed(KrafterMail.delivery(mail, emailId.get(),
            KrafterMail.integer(mail, DeliveryMailet.ATTEMPT).orElse(0), -1), error, null);
        try {
            if (records.markFailed(emailId.get(), error)) {
                LOGGER.warn("email {} failed in the pipeline: {}", emailId.get(), error);
            } else {
                LOGGER.warn("email {} reached the error processor ({}) but its record is missing or already sent",
                    emailId.get(), error);
            }
        } catch (StoreException e) {
            LOGGER.error("email {} failed ({}) and the record could not be marked failed", emailId.get(), error, e);
        }
    }

    /** The first non-blank line: James puts the mailet and the exception's message there, the stack trace after. */
    static String summary(String errorMessage) {
        if (errorMessage == null) {
            return NO_MESSAGE;
        }
        return errorMessage.lines().map(String::strip).filter(line -> !line.isEmpty()).findFirst().orElse(NO_MESSAGE);
    }

    @Override
    public String getMailetInfo() {
        return "Krafter RecordFailure: marks the email record failed with the pipeline's error";
    }
}
