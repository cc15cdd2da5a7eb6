package dev.krafter.relay.server;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * A deliberately small SMTPS client for protocol assertions: implicit TLS trusting exactly the
 * relay's certificate, one command at a time, replies as text ("250-…\n250 …").
 */
public final class SmtpsClient implements AutoCloseable {
    private final SSLSocket socket;
    private final InputStream in;
    private final OutputStream out;
    private final String greeting;

    private SmtpsClient(SSLSocket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
        this.greeting = reply();
    }

    public static SmtpsClient connect(int port, Path trustedCertificate) throws IOException {
        SSLSocket socket = (SSLSocket) sslContext(trustedCertificate).getSocketFactory().createSocket("localhost", port);
        socket.setSoTimeout(30_000);
        socket.startHandshake();
        return new SmtpsClient(socket);
    }

    /** The same, from a given loopback source address (127.0.0.2, …): per-client-address behaviour. */
    public static SmtpsClient connect(int port, Path trustedCertificate, java.net.InetAddress from) throws IOException {
        SSLSocket socket = (SSLSocket) sslContext(trustedCertificate).getSocketFactory().createSocket("localhost", port, from, 0);
        socket.setSoTimeout(30_000);
        socket.startHandshake();
        return new SmtpsClient(socket);
    }

    public static SSLContext sslContext(Path trustedCertificate) throws IOException {
        try (InputStream pem = Files.newInputStream(trustedCertificate)) {
            X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(pem);
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            trust.setCertificateEntry("relay", cert);
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException(e);
        }
    }

    public String greeting() {
        return greeting;
    }

    public String negotiatedProtocol() {
        return socket.getSession().getProtocol();
    }

    public String command(String line) throws IOException {
        write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        return reply();
    }

    public String ehlo() throws IOException {
        return command("EHLO client.example");
    }

    public String authPlain(String user, String password) throws IOException {
        String token = Base64.getEncoder().encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8));
        return command("AUTH PLAIN " + token);
    }

    /** EHLO + AUTH PLAIN apikey; fails the test unless the relay says 235. */
    public SmtpsClient login(String key) throws IOException {
        ehlo();
        String reply = authPlain("apikey", key);
        if (!reply.startsWith("235")) {
            throw new IllegalStateException("AUTH failed: " + reply);
        }
        return this;
    }

    /** MAIL, RCPTs, DATA and the message (dot-stuffed here); returns the final reply. */
    public String send(String from, List<String> to, byte[] message) throws IOException {
        String reply = command("MAIL FROM:<" + from + ">");
        if (!reply.startsWith("250")) {
            return reply;
        }
        for (String rcpt : to) {
            reply = command("RCPT TO:<" + rcpt + ">");
            if (!reply.startsWith("250")) {
                return reply;
            }
        }
        reply = command("DATA");
        if (!reply.startsWith("354")) {
            return reply;
        }
        return data(message);
    }

    public String data(byte[] message) throws IOException {
        ByteArrayOutputStream stuffed = new ByteArrayOutputStream(message.length + 1024);
        boolean lineStart = true;
        for (byte b : message) {
            if (lineStart && b == '.') {
                stuffed.write('.');
            }
            stuffed.write(b);
            lineStart = b == '\n';
        }
        if (!lineStart) {
            stuffed.write('\r');
            stuffed.write('\n');
        }
        stuffed.writeBytes(".\r\n".getBytes(StandardCharsets.US_ASCII));
        write(stuffed.toByteArray());
        return reply();
    }

    public void write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** One whole reply, multi-line replies joined with \n; "" when the server closed the connection. */
    public String reply() throws IOException {
        List<String> lines = new ArrayList<>();
        while (true) {
            String line = readLine();
            if (line == null) {
                return String.join("\n", lines);
            }
            lines.add(line);
            if (line.length() < 4 || line.charAt(3) != '-') {
                return String.join("\n", lines);
            }
        }
    }

    /** Whether the server has closed the connection (reads until EOF or timeout). */
    public boolean closedByServer() {
        try {
            return in.read() == -1;
        } catch (IOException e) {
            return true;
        }
    }

    private String readLine() throws IOException {
        return readLine(in);
    }

    /** One CRLF- or LF-terminated line without its terminator; the rest at EOF; null at EOF with nothing read. */
    public static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != -1) {
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, len, StandardCharsets.UTF_8);
            }
            line.write(b);
        }
        return line.size() == 0 ? null : line.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
