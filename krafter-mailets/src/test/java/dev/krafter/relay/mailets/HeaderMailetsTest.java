package dev.krafter.relay.mailets;

import static dev.krafter.relay.mailets.TestMails.ascii;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.util.List;
import java.util.Properties;
import java.util.UUID;

import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.server.core.MailImpl;
import org.apache.james.server.core.MimeMessageWrapper;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMailContext;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.Test;

class HeaderMailetsTest {
    /**
     * No MIME-Version, no Date, no Message-ID, a multipart body, odd folding and spacing: javax.mail's
     * saveChanges() would add or rewrite several of these; a byte-exact edit must not.
     */
    static final String HEAD = "Received: from client.example ([192.0.2.1])\r\n"
        + "\tby relay; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
        + "From: Sender <sender@example.com>\r\n"
        + "To: to@example.net\r\n"
        + "X-Krafter-Stream: broadcast\r\n"
        + "Subject:   spaced   subject  \r\n"
        + "x-krafter-tracking-enabled: false\r\n"
        + "  (folded comment)\r\n"
        + "Content-Type: multipart/mixed;\r\n boundary=\"b1\"\r\n";
    static final String BODY = "\r\n"
        + "preamble\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
        + "X-Krafter-Stream: in the body stays\r\n--b1--\r\n";
    static final String HEAD_WITHOUT_KRAFTER = "Received: from client.example ([192.0.2.1])\r\n"
        + "\tby relay; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
        + "From: Sender <sender@example.com>\r\n"
        + "To: to@example.net\r\n"
        + "Subject:   spaced   subject  \r\n"
        + "Content-Type: multipart/mixed;\r\n boundary=\"b1\"\r\n";

    private final UUID emailId = UUID.fromString("0b7b3f3e-8f0e-4f43-9a55-2a4f3c1d9e11");

    @Test
    void removeKrafterHeadersIsByteExactAndLeavesTheMessageUnmodified() throws Exception {
        MailImpl mail = broadcast(HEAD + BODY);

        mailet(new RemoveKrafterHeaders(), new Properties()).service(mail);

        byte[] expected = ascii(HEAD_WITHOUT_KRAFTER + BODY);
        assertThat(TestMails.streamed(mail)).isEqualTo(expected);
        assertThat(TestMails.written(mail)).isEqualTo(expected);
        assertThat(((MimeMessageWrapper) mail.getMessage()).isModified()).isFalse();
        assertThat(mail.getMessageSize()).isEqualTo(expected.length);
    }

    @Test
    void removeKrafterHeadersAlsoRemovesTheHeadersSesActsOnByteExactly() throws Exception {
        String ses = "X-SES-CONFIGURATION-SET: attacker-set\r\n"
            + "x-ses-message-tags: campaign=evil,\r\n\tsource=folded\r\n"
            + "X-Ses-Source-Arn: arn:aws:ses:us-east-1:000000000000:identity/example.com\r\n";
        MailImpl mail = broadcast(ses + HEAD + "X-SESSION-ID: not an SES header\r\n" + BODY);

        mailet(new RemoveKrafterHeaders(), new Properties()).service(mail);

        assertThat(TestMails.streamed(mail)).isEqualTo(ascii(HEAD_WITHOUT_KRAFTER + "X-SESSION-ID: not an SES header\r\n" + BODY));
    }

    @Test
    void aMessageWithoutMatchingFieldsIsNotTouched() throws Exception {
        MailImpl mail = broadcast(HEAD_WITHOUT_KRAFTER + BODY);
        MimeMessage before = mail.getMessage();

        mailet(new RemoveKrafterHeaders(), new Properties()).service(mail);

        assertThat(mail.getMessage()).isSameAs(before);
    }

    @Test
    void staysByteExactAfterAJavaxMailHeaderCallMarkedTheMessageModified() throws Exception {
        MailImpl mail = broadcast(HEAD + BODY);
        // What James's mandatory RemoveMimeHeader(bcc) does even when there is no Bcc field.
        mail.getMessage().removeHeader("bcc");
        assertThat(((MimeMessageWrapper) mail.getMessage()).isModified()).isTrue();

        mailet(new RemoveKrafterHeaders(), new Properties()).service(mail);

        assertThat(TestMails.written(mail)).isEqualTo(ascii(HEAD_WITHOUT_KRAFTER + BODY));
    }

    @Test
    void worksOnAForeignMailWithAPlainMimeMessage() throws Exception {
        MimeMessage plain = new MimeMessage(Session.getDefaultInstance(new Properties()),
            new ByteArrayInputStream(ascii(HEAD + BODY)));
        FakeMail mail = FakeMail.builder().name("fake").mimeMessage(plain).build();

        mailet(new RemoveKrafterHeaders(), new Properties()).service(mail);

        assertThat(TestMails.streamed(mail)).isEqualTo(ascii(HEAD_WITHOUT_KRAFTER + BODY));
    }

    @Test
    void removeHeadersTakesNamesAndPrefixes() throws Exception {
        MailImpl mail = broadcast("Bcc: hidden@example.net\r\n" + HEAD + BODY);
        Properties parameters = new Properties();
        parameters.setProperty("names", "bcc, Received");
        parameters.setProperty("prefixes", "X-KRAFTER-");

        mailet(new RemoveHeaders(), parameters).service(mail);

        assertThat(TestMails.written(mail)).isEqualTo(ascii(HEAD_WITHOUT_KRAFTER
            .replace("Received: from client.example ([192.0.2.1])\r\n\tby relay; Mon, 1 Jan 2024 00:00:00 +0000\r\n", "")
            + BODY));
    }

    @Test
    void removeHeadersNeedsSomethingToRemoveAndRefusesUnknownParameters() {
        assertThatThrownBy(() -> mailet(new RemoveHeaders(), new Properties())).isInstanceOf(MessagingException.class);
        Properties typo = new Properties();
        typo.setProperty("name", "bcc");
        assertThatThrownBy(() -> mailet(new RemoveHeaders(), typo)).isInstanceOf(MessagingException.class);
    }

    @Test
    void addListUnsubscribeAddsBothFieldsForBroadcastByteExactOtherwise() throws Exception {
        MailImpl mail = broadcast(HEAD_WITHOUT_KRAFTER + BODY);

        mailet(new AddListUnsubscribe(), unsubscribeParameters()).service(mail);

        assertThat(new String(TestMails.written(mail), java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo(HEAD_WITHOUT_KRAFTER
            + "List-Unsubscribe: <mailto:unsubscribe@krafter.dev?subject=unsubscribe-" + emailId + ">,\r\n"
            + " <https://unsubscribe.krafter.dev/u/" + emailId + ">\r\n"
            + "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
            + BODY);
        assertThat(mail.getMessage().getHeader("List-Unsubscribe", null))
            .isEqualTo("<mailto:unsubscribe@krafter.dev?subject=unsubscribe-" + emailId + ">,\r\n <https://unsubscribe.krafter.dev/u/"
                + emailId + ">");
    }

    @Test
    void addListUnsubscribeReplacesTheClientsFieldsAndIsIdempotent() throws Exception {
        MailImpl mail = broadcast("List-Unsubscribe: <mailto:old@example.com>\r\nlist-unsubscribe-post: List-Unsubscribe=One-Click\r\n"
            + HEAD_WITHOUT_KRAFTER + BODY);
        AddListUnsubscribe mailet = mailet(new AddListUnsubscribe(), unsubscribeParameters());

        mailet.service(mail);
        byte[] once = TestMails.written(mail);
        mailet.service(mail);

        assertThat(TestMails.written(mail)).isEqualTo(once);
        assertThat(mail.getMessage().getHeader("List-Unsubscribe")).hasSize(1);
        assertThat(mail.getMessage().getHeader("List-Unsubscribe-Post")).hasSize(1);
        assertThat(new String(once, java.nio.charset.StandardCharsets.US_ASCII)).doesNotContain("old@example.com");
    }

    @Test
    void addListUnsubscribeLeavesOtherMailsAlone() throws Exception {
        MailImpl mail = broadcast(HEAD_WITHOUT_KRAFTER + BODY);
        mail.setAttribute(new Attribute(KrafterAttributes.LIST_UNSUBSCRIBE, AttributeValue.of(false)));
        MimeMessage before = mail.getMessage();

        mailet(new AddListUnsubscribe(), unsubscribeParameters()).service(mail);

        assertThat(mail.getMessage()).isSameAs(before);
    }

    @Test
    void addListUnsubscribeWithOnlyAMailtoAddsNoOneClickField() throws Exception {
        MailImpl mail = broadcast(HEAD_WITHOUT_KRAFTER + BODY);
        Properties parameters = new Properties();
        parameters.setProperty("mailto", "u@x.example?subject={emailId}");

        mailet(new AddListUnsubscribe(), parameters).service(mail);

        assertThat(mail.getMessage().getHeader("List-Unsubscribe", null)).isEqualTo("<mailto:u@x.example?subject=" + emailId + ">");
        assertThat(mail.getMessage().getHeader("List-Unsubscribe-Post")).isNull();
    }

    @Test
    void addListUnsubscribeValidatesItsTemplates() {
        assertThatThrownBy(() -> mailet(new AddListUnsubscribe(), new Properties())).isInstanceOf(MessagingException.class);
        Properties http = new Properties();
        http.setProperty("url", "http://x.example/{emailId}");
        assertThatThrownBy(() -> mailet(new AddListUnsubscribe(), http)).isInstanceOf(MessagingException.class);
        Properties injection = new Properties();
        injection.setProperty("url", "https://x.example/{emailId}>, <https://evil.example");
        assertThatThrownBy(() -> mailet(new AddListUnsubscribe(), injection)).isInstanceOf(MessagingException.class);
    }

    private Properties unsubscribeParameters() {
        Properties parameters = new Properties();
        parameters.setProperty("mailto", "mailto:unsubscribe@krafter.dev?subject=unsubscribe-{emailId}");
        parameters.setProperty("url", "https://unsubscribe.krafter.dev/u/{emailId}");
        return parameters;
    }

    private MailImpl broadcast(String message) throws MessagingException {
        return TestMails.mail(ascii(message), emailId, "broadcast", "krafter-broadcast-tracking", true,
            "sender@example.com", List.of("to@example.net"));
    }

    static <T extends org.apache.mailet.base.GenericMailet> T mailet(T mailet, Properties parameters) throws MessagingException {
        FakeMailetConfig.Builder config = FakeMailetConfig.builder()
            .mailetName(mailet.getClass().getSimpleName())
            .mailetContext(FakeMailContext.defaultContext());
        parameters.stringPropertyNames().forEach(name -> config.setProperty(name, parameters.getProperty(name)));
        mailet.init(config.build());
        return mailet;
    }

}
