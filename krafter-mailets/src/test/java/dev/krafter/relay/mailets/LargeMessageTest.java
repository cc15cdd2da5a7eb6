package dev.krafter.relay.mailets;

import static dev.krafter.relay.mailets.HeaderMailetsTest.mailet;
import static org.assertj.core.api.Assertions.assertThat;

import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.UUID;

import org.apache.james.server.core.MailImpl;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import dev.krafter.relay.events.TestEvents;
import dev.krafter.relay.db.TestDatabase;
import dev.krafter.relay.emails.DeliveryRecords;
import dev.krafter.relay.emails.EmailRows;
import dev.krafter.relay.ses.SesGateway;
import dev.krafter.relay.ses.SesStandIn;
import software.amazon.awssdk.services.sesv2.SesV2Client;

/** A message at the SMTP size limit through the whole delivery pipeline, bytes checked at the stand-in. */
class LargeMessageTest {

    @Test
    void aMessageAtThe25MiBLimitReachesSesByteExact() throws Exception {
        byte[] expected = LargeMessages.message(LargeMessages.SMTP_LIMIT - 200, "");
        byte[] submitted = LargeMessages.message(LargeMessages.SMTP_LIMIT - 200,
            "X-Krafter-Stream: transactional\r\nX-Krafter-Tracking-Enabled: false\r\n");
        assertThat(submitted.length).isLessThanOrEqualTo(LargeMessages.SMTP_LIMIT);

        try (TestDatabase db = TestDatabase.create(); SesStandIn ses = new SesStandIn();
             SesV2Client client = ses.client(ses.settings().withSdkMaxAttempts(1))) {
            ses.acceptAll("ses-large");
            DeliveryRecords records = new DeliveryRecords(db.database().dataSource());
            EmailRows rows = new EmailRows(db.database().dataSource());
            UUID id = rows.insertQueued("transactional");
            MailImpl mail = TestMails.mail(submitted, id, "transactional", "krafter-transactional", false,
                "sender@example.com", List.of("to@example.net"));
            submitted = null;

            mailet(new RemoveKrafterHeaders(), new Properties()).service(mail);
            QueueDone.serviceAndComplete(db.database().dataSource(),
                mailet(new SesSend(new SesGateway(client), records, new RecordingMailQueueFactory(), new TestEvents().events(), new SplittableRandom(1)),
                    new Properties()), mail);

            assertThat(rows.read(id).status()).isEqualTo("sent");
            byte[] body = ses.sendEmailRequests().get(0).getBody();
            assertThat(sha256(rawData(body))).isEqualTo(sha256(expected));
        }
    }

    /** Content.Raw.Data decoded, read with a streaming parser (the body is ~34 MiB of JSON). */
    private static byte[] rawData(byte[] json) throws Exception {
        try (JsonParser parser = new JsonFactory().createParser(json)) {
            String path = "";
            while (parser.nextToken() != null) {
                if (parser.currentToken() == JsonToken.FIELD_NAME) {
                    path = parser.currentName();
                } else if (parser.currentToken() == JsonToken.VALUE_STRING && path.equals("Data")) {
                    return Base64.getDecoder().decode(parser.getText());
                }
            }
        }
        throw new AssertionError("no Content.Raw.Data in the request");
    }

    private static byte[] sha256(byte[] bytes) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(bytes);
    }
}
