package dev.krafter.relay.mailets;

import static dev.krafter.relay.mailets.HeaderMailetsTest.BODY;
import static dev.krafter.relay.mailets.HeaderMailetsTest.HEAD;
import static dev.krafter.relay.mailets.HeaderMailetsTest.HEAD_WITHOUT_KRAFTER;
import static dev.krafter.relay.mailets.HeaderMailetsTest.mailet;
import static dev.krafter.relay.mailets.TestMails.ascii;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.stream.Stream;

import javax.mail.MessagingException;

import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Mail;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.krafter.relay.events.TestEvents;
import dev.krafter.relay.db.TestDatabase;
import dev.krafter.relay.emails.DeliveryRecords;
import dev.krafter.relay.emails.EmailRows;
import dev.krafter.relay.ses.SesGateway;
import dev.krafter.relay.ses.SesStandIn;
import software.amazon.awssdk.services.sesv2.SesV2Client;

class OutboxTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static TestDatabase db;
    private static DeliveryRecords records;
    private static EmailRows rows;

    @TempDir
    Path directory;

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
    void writesExactlyTheRequestSesWouldReceive() throws Exception {
        UUID id = rows.insertQueued("broadcast");
        RecordingMailQueueFactory queues = new RecordingMailQueueFactory();
        MailImpl forOutbox = mail(id);
        MailImpl forSes = mail(id);
        mailet(new RemoveKrafterHeaders(), new Properties()).service(forOutbox);
        mailet(new RemoveKrafterHeaders(), new Properties()).service(forSes);

        QueueDone.serviceAndComplete(db.database().dataSource(), outbox(queues), forOutbox);

        byte[] eml = Files.readAllBytes(directory.resolve(id + ".eml"));
        JsonNode json = JSON.readTree(directory.resolve(id + ".json").toFile());
        assertThat(eml).isEqualTo(ascii(HEAD_WITHOUT_KRAFTER + BODY));
        assertThat(rows.read(id)).isEqualTo(new EmailRows.Row("sent", "outbox-" + id, null, 0, true));
        assertThat(forOutbox.getState()).isEqualTo(Mail.GHOST);
        try (Stream<Path> files = Files.list(directory)) {
            assertThat(files.map(path -> path.getFileName().toString())).containsExactlyInAnyOrder(id + ".eml", id + ".json");
        }

        // The same mail through SesSend: what the stand-in received is the .json plus Content.Raw.Data = the .eml.
        try (SesStandIn ses = new SesStandIn(); SesV2Client client = ses.client(ses.settings().withSdkMaxAttempts(1))) {
            ses.acceptAll("ses-compare");
            resetToQueued(id); // the outbox marked it sent; SesSend would (rightly) skip it
            QueueDone.serviceAndComplete(db.database().dataSource(), mailet(new SesSend(new SesGateway(client), records, queues, new TestEvents().events(), new SplittableRandom(1)), new Properties()), forSes);

            ObjectNode received = (ObjectNode) JSON.readTree(ses.sendEmailRequests().get(0).getBodyAsString());
            byte[] data = Base64.getDecoder().decode(received.at("/Content/Raw/Data").asText());
            received.remove("Content");
            assertThat(received).isEqualTo(json);
            assertThat(data).isEqualTo(eml);
        }
        assertThat(json.at("/FromEmailAddress").asText()).isEqualTo("sender@example.com");
        assertThat(json.at("/Destination/BccAddresses/0").asText()).isEqualTo("to@example.net");
        assertThat(json.at("/Destination/BccAddresses/1").asText()).isEqualTo("hidden@example.org");
        assertThat(json.at("/ConfigurationSetName").asText()).isEqualTo("krafter-broadcast");
        assertThat(json.at("/EmailTags/0/Value").asText()).isEqualTo(id.toString());
        assertThat(json.at("/EmailTags/1/Value").asText()).isEqualTo("broadcast");
    }

    @Test
    void anAlreadySentRecordIsNotWrittenAgain() throws Exception {
        UUID id = rows.insertQueued("transactional");
        records.markSent(id, "ses-earlier");
        MailImpl mail = mail(id);

        QueueDone.serviceAndComplete(db.database().dataSource(), outbox(new RecordingMailQueueFactory()), mail);

        assertThat(directory.resolve(id + ".eml")).doesNotExist();
        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
    }

    @Test
    void aWriteFailureIsRetriedThroughTheQueue() throws Exception {
        UUID id = rows.insertQueued("transactional");
        Path notADirectory = Files.writeString(directory.resolve("file"), "x");
        RecordingMailQueueFactory queues = new RecordingMailQueueFactory();
        Properties parameters = new Properties();
        parameters.setProperty("directory", notADirectory.resolve("outbox").toString());
        Outbox outbox = mailet(new Outbox(records, queues, new TestEvents().events(), new SplittableRandom(5)), parameters);
        MailImpl mail = mail(id);

        QueueDone.serviceAndComplete(db.database().dataSource(), outbox, mail);

        assertThat(queues.spool().enqueued()).hasSize(1);
        assertThat(rows.read(id).status()).isEqualTo("queued");
        assertThat(rows.read(id).attempts()).isEqualTo(1);
        assertThat(rows.read(id).error()).startsWith("outbox write failed");
    }

    private Outbox outbox(RecordingMailQueueFactory queues) throws MessagingException {
        Properties parameters = new Properties();
        parameters.setProperty("directory", directory.toString());
        return mailet(new Outbox(records, queues, new TestEvents().events(), new SplittableRandom(5)), parameters);
    }

    private static MailImpl mail(UUID id) throws MessagingException {
        return TestMails.mail(ascii(HEAD + BODY), id, "broadcast", "krafter-broadcast", false, "sender@example.com",
            List.of("to@example.net", "hidden@example.org"));
    }

    private static void resetToQueued(UUID id) throws java.sql.SQLException {
        try (var c = db.database().dataSource().getConnection(); var s = c.prepareStatement("UPDATE emails SET status = 'queued' WHERE id = ?")) {
            s.setObject(1, id);
            s.executeUpdate();
        }
    }
}
