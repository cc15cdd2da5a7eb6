package dev.krafter.relay.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.krafter.relay.server.RelayFixture;
import dev.krafter.relay.server.SmtpsClient;
import dev.krafter.relay.ses.SesStandIn;

/** A real relay whose SES leg is the stand-in, with extra settings, and a one-call send through it. */
record SesRelay(SesStandIn ses, RelayFixture relay) implements AutoCloseable {
    static final String FROM = "hello@yourdomain.com";
    static final String TO = "to@example.com";

    static SesRelay start(Map<String, String> settings) throws Exception {
        SesStandIn ses = SesStandIn.accepting();
        Map<String, String> env = new HashMap<>(ses.relayEnv());
        env.putAll(settings);
        try {
            return new SesRelay(ses, RelayFixture.start(env));
        } catch (Exception e) {
            ses.close();
            throw e;
        }
    }

    /** One message with these extra header lines; the reply must be a 250. @return its email id */
    String send(String key, String headers) throws Exception {
        try (SmtpsClient smtp = relay.connect().login(key)) {
            String reply = smtp.send(FROM, List.of(TO), message(headers));
            assertThat(reply).startsWith("250 2.0.0 OK id=");
            return reply.substring(reply.indexOf("id=") + 3).trim();
        }
    }

    /** The SMTP reply to a message with these extra header lines. */
    String reply(String key, String headers) throws Exception {
        try (SmtpsClient smtp = relay.connect().login(key)) {
            return smtp.send(FROM, List.of(TO), message(headers));
        }
    }

    static byte[] message(String headers) {
        return ("From: " + FROM + "\r\nTo: " + TO + "\r\nSubject: test\r\n" + headers + "\r\nHello.\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws Exception {
        try {
            relay.close();
        } finally {
            ses.close();
        }
    }
}
