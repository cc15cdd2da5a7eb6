package dev.krafter.relay.mailets;

import static dev.krafter.relay.mailets.HeaderMailetsTest.mailet;
import static dev.krafter.relay.mailets.TestMails.ascii;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Properties;
import java.util.UUID;

import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Mail;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.krafter.relay.events.TestEvents;
import dev.krafter.relay.db.Database;
import dev.krafter.relay.db.DatabaseSettings;
import dev.krafter.relay.db.TestDatabase;
import dev.krafter.relay.emails.DeliveryRecords;
import dev.krafter.relay.emails.EmailRows;

class RecordFailureTest {
    /** What James's ProcessorUtil.handleException puts into Mail.getErrorMessage(). */
    private static final String CONTAINER_ERROR = "Exception calling SesSend: could not read the message of email x\n"
        + "javax.mail.MessagingException: could not read the message\n\tat dev.krafter.relay.mailets.SesSend.service(SesSend.java:1)\n";

    private static TestDatabase db;
    private static DeliveryRecords records;
    private static EmailRows rows;

    @BeforeAll
    static void database() {
        db = TestDatabase.create();
        records = new DeliveryRecords(db.database().dataSource());
        rows = new EmailRows(db.database().dataSource());
    }

    @AfterAll
    static void drop() {
        db.close();
    }

    @Test
    void marksTheRecordFailedWithTheFirstLineOfTheContainersErrorAndLetsTheMailGoOn() throws Exception {
        UUID id = rows.insertQueued("transactional");
        MailImpl mail = mail(id);
        mail.setState(Mail.ERROR);
        mail.setErrorMessage(CONTAINER_ERROR);

        mailet(new RecordFailure(records, new TestEvents().events()), new Properties()).service(mail);

        assertThat(rows.read(id)).isEqualTo(new EmailRows.Row("failed", null,
            "Exception calling SesSend: could not read the message of email x", 0, false));
        assertThat(mail.getState()).isEqualTo(Mail.ERROR);
    }

    @Test
    void aSentRecordStaysSent() throws Exception {
        UUID id = rows.insertQueued("transactional");
        records.markSent(id, "ses-1");
        MailImpl mail = mail(id);
        mail.setErrorMessage(CONTAINER_ERROR);

        mailet(new RecordFailure(records, new TestEvents().events()), new Properties()).service(mail);

        assertThat(rows.read(id).status()).isEqualTo("sent");
    }

    @Test
    void survivesMissingIdsMessagesAndDatabase() throws Exception {
        MailImpl withoutId = mail(UUID.randomUUID());
        withoutId.removeAttribute(KrafterAttributes.EMAIL_ID);
        mailet(new RecordFailure(records, new TestEvents().events()), new Properties()).service(withoutId);

        UUID id = rows.insertQueued("transactional");
        mailet(new RecordFailure(records, new TestEvents().events()), new Properties()).service(mail(id));
        assertThat(rows.read(id).error()).isEqualTo("failed in the relay's mail pipeline (no error message)");

        try (Database dead = Database.connect(new DatabaseSettings("jdbc:postgresql://127.0.0.1:1/none", "x", "y", 1, 250, 1))) {
            mailet(new RecordFailure(new DeliveryRecords(dead.dataSource()), new TestEvents().events()), new Properties()).service(mail(UUID.randomUUID()));
        }
    }

    private static MailImpl mail(UUID id) throws Exception {
        return TestMails.mail(ascii("From: a@example.com\r\n\r\nx\r\n"), id, "transactional", "cs", false, "a@example.com",
            List.of("b@example.net"));
    }
}
