// Jakarta Mail (Eclipse Angus Mail) over SMTPS: mail.smtp.ssl.enable=true is implicit TLS. The JVM
// trusts the relay's certificate through a trust store holding it:
//   java -Djavax.net.ssl.trustStore=var/tls/truststore.p12 -Djavax.net.ssl.trustStorePassword=changeit \
//        -cp angus-mail.jar:jakarta.mail-api.jar:angus-activation.jar:jakarta.activation-api.jar JakartaMailSend.java
// Environment: see ../README.md.
import java.io.File;
import java.util.Properties;

import jakarta.activation.DataHandler;
import jakarta.activation.FileDataSource;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeBodyPart;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;

import org.eclipse.angus.mail.smtp.SMTPTransport;

public class JakartaMailSend {
    public static void main(String[] args) throws Exception {
        String kase = System.getenv("KRAFTER_CASE");
        Properties props = new Properties();
        props.put("mail.smtp.host", "localhost");
        props.put("mail.smtp.port", System.getenv("KRAFTER_PORT"));
        props.put("mail.smtp.ssl.enable", "true"); // implicit TLS (server identity is checked by default)
        props.put("mail.smtp.auth", "true");
        props.put("mail.smtp.connectiontimeout", "30000");
        props.put("mail.smtp.timeout", "30000");
        Session session = Session.getInstance(props);

        MimeMessage message = new MimeMessage(session);
        message.setFrom(new InternetAddress("hello@yourdomain.com"));
        message.setRecipients(MimeMessage.RecipientType.TO, "recipient@example.com");
        message.setSubject(kase + " " + System.getenv("KRAFTER_TOKEN"));
        String text = "This email was sent via Krafter Mail SMTP relay.";
        switch (kase) {
            case "plain" -> message.setText(text);
            case "html" -> {
                MimeBodyPart plain = new MimeBodyPart();
                plain.setText("Welcome! Sent via SMTP relay.", "UTF-8");
                MimeBodyPart html = new MimeBodyPart();
                html.setContent("<h1>Welcome!</h1><p>Sent via SMTP relay.</p>", "text/html; charset=UTF-8");
                MimeBodyPart alternatives = new MimeBodyPart();
                alternatives.setContent(new MimeMultipart("alternative", plain, html));
                File file = new File(System.getenv("KRAFTER_ATTACHMENT"));
                MimeBodyPart attachment = new MimeBodyPart();
                attachment.setDataHandler(new DataHandler(new FileDataSource(file)));
                attachment.setFileName(file.getName());
                message.setContent(new MimeMultipart("mixed", alternatives, attachment));
            }
            case "broadcast" -> {
                message.setText(text);
                message.setHeader("X-Krafter-Stream", "broadcast");
                message.setHeader("X-Krafter-Tracking-Enabled", "false");
            }
            case "bad-stream" -> {
                message.setText(text);
                message.setHeader("X-Krafter-Stream", "promo");
            }
            default -> throw new IllegalArgumentException("unknown case " + kase);
        }
        message.saveChanges();

        try (Transport transport = session.getTransport("smtp")) {
            String user = System.getenv().getOrDefault("KRAFTER_USER", "apikey");
            transport.connect(user, System.getenv("KRAFTER_API_KEY"));
            transport.sendMessage(message, message.getAllRecipients());
            System.out.println("OK " + ((SMTPTransport) transport).getLastServerResponse().strip());
        } catch (MessagingException e) {
            StringBuilder causes = new StringBuilder();
            for (Throwable t = e; t != null; t = t.getCause()) {
                causes.append(causes.length() == 0 ? "" : " <- ").append(t.getClass().getSimpleName()).append(": ")
                    .append(String.valueOf(t.getMessage()).strip().replaceAll("\\s*\n\\s*", " "));
            }
            System.out.println("FAIL " + causes);
            System.exit(1);
        }
    }
}
