package dev.krafter.relay.clients;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.krafter.relay.server.Clients;

/**
 * Django 3.2 (Debian's python3-django, so Debian's /usr/bin/python3) with EMAIL_USE_SSL = True and the
 * VerifiedSSLEmailBackend of src/test/clients/django. Django's send() reports the number of messages
 * sent, not the relay's reply.
 */
class DjangoTest extends ClientContract {
    static final String PYTHON = "/usr/bin/python3";

    @Override
    protected List<String> command(Path ca) {
        return List.of(PYTHON, Clients.script("django/django_send.py").toString());
    }

    @Override
    protected boolean showsRelayReply() {
        return false;
    }

    /**
     * Why the backend subclass exists: Django 3.2's own EmailBackend with EMAIL_USE_SSL connects
     * whatever certificate the server shows. Sent here with a CA file the relay's certificate does
     * not match, it still delivers.
     */
    @Test
    void django32sOwnBackendDoesNotCheckTheCertificate() throws Exception {
        Run run = send("plain", ClientSuite.shared().otherCertificate(), null,
            Map.of("KRAFTER_DJANGO_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"));

        assertAcceptedAndDelivered(run);
    }
}
