package dev.krafter.relay.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.Map;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import dev.krafter.relay.server.RelaySettings;

/**
 * {@code bin/krafter-relay healthcheck} (the container's HEALTHCHECK): connects to this machine's
 * SMTPS port, sends a PROXY v1 header first when KRAFTER_PROXY_PROTOCOL=true (a plain TLS probe
 * would be closed by James then; the addresses in it are the probe's own), completes the TLS handshake and expects the 220 greeting.
 * Exit 0 when healthy, 1 with one line on stderr otherwise. Needs no database setting.
 */
public final class Healthcheck {
    private static final int TIMEOUT_MILLIS = 8_000;

    private Healthcheck() {
    }

    public static int check(Map<String, String> env) {
        int port;
        boolean proxy;
        try {
            port = Integer.parseInt(env.getOrDefault("KRAFTER_SMTP_PORT", String.valueOf(RelaySettings.DEFAULT_SMTP_PORT)).trim());
            proxy = RelaySettings.proxyProtocol(env);
        } catch (IllegalArgumentException e) {
            System.err.println("krafter-relay healthcheck: " + e.getMessage());
            return 1;
        }
        // the address the relay listens on; a wildcard bind is reached over loopback
        String bind = env.getOrDefault("KRAFTER_SMTP_BIND", RelaySettings.DEFAULT_SMTP_BIND).trim();
        String host = bind.isEmpty() || bind.equals("0.0.0.0") || bind.equals("::") ? "127.0.0.1" : bind;
        try (Socket tcp = new Socket()) {
            tcp.connect(new InetSocketAddress(host, port), TIMEOUT_MILLIS);
            tcp.setSoTimeout(TIMEOUT_MILLIS);
            if (proxy) {
                String family = tcp.getInetAddress() instanceof java.net.Inet6Address ? "TCP6" : "TCP4";
                tcp.getOutputStream().write(("PROXY " + family + " " + tcp.getLocalAddress().getHostAddress() + " "
                    + tcp.getInetAddress().getHostAddress() + " " + tcp.getLocalPort() + " " + port + "\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            }
            try (SSLSocket tls = (SSLSocket) anyCertificate().getSocketFactory().createSocket(tcp, "localhost", port, true)) {
                tls.startHandshake();
                String greeting = firstLine(tls.getInputStream());
                if (!greeting.startsWith("220 ")) {
                    System.err.println("krafter-relay healthcheck: unexpected greeting on port " + port + ": " + greeting);
                    return 1;
                }
                OutputStream out = tls.getOutputStream();
                out.write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                return 0;
            }
        } catch (IOException | GeneralSecurityException e) {
            System.err.println("krafter-relay healthcheck: port " + port + (proxy ? " (PROXY protocol)" : "") + ": " + e);
            return 1;
        }
    }

    private static String firstLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int b = in.read(); b != -1 && b != '\n' && line.length() < 512; b = in.read()) {
            if (b != '\r') {
                line.append((char) b);
            }
        }
        return line.toString();
    }

    /**
     * The probe talks to its own process over loopback and sends nothing but QUIT, so which
     * certificate the relay presents does not matter here (clients verify it; this is liveness).
     */
    private static SSLContext anyCertificate() throws GeneralSecurityException {
        TrustManager trustAll = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {trustAll}, null);
        return context;
    }
}
