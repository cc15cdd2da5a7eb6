package dev.krafter.relay.server;

import java.util.List;

import javax.inject.Inject;

import org.apache.james.protocols.lib.netty.CertificateReloadable;
import org.apache.james.smtpserver.netty.SMTPServerFactory;
import org.apache.james.utils.GuiceProbe;

/**
 * James 3.8.1's own certificate reload (JAMES-3906, what its webadmin {@code POST /servers?reload-certificate}
 * calls): each enabled SMTP server re-reads {@code privateKey}/{@code certificates} and new connections
 * get the new context; open connections keep theirs. A failed reload throws and leaves the old one in place.
 */
public class TlsReloadProbe implements GuiceProbe {
    private final SMTPServerFactory servers;

    @Inject
    public TlsReloadProbe(SMTPServerFactory servers) {
        this.servers = servers;
    }

    /** Which TLS each SMTP server uses: "BoringSSL …" (netty-tcnative) or "JDK". */
    public List<String> tlsImplementations() {
        return servers instanceof RelaySmtpServerFactory relay ? relay.tlsImplementations() : List.of("JDK");
    }

    public void reloadCertificates() throws Exception {
        for (CertificateReloadable server : servers.certificatesReloadable().toList()) {
            server.reloadSSLCertificate();
        }
    }
}
