package dev.krafter.relay.reliability;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import javax.net.ssl.SSLSocket;

import dev.krafter.relay.server.SmtpsClient;

/**
 * A raw connection to the relay from a chosen loopback source address (127.x.y.z), so that cases
 * which fail AUTH on purpose do not trip the per-address AUTH throttle for everyone else.
 * Reads are bounded: a read that times out is reported as {@link Hung}, never waited out.
 */
final class Wire implements AutoCloseable {
    /** The server neither answered nor closed within the read timeout. */
    static final class Hung extends IOException {
        Hung(String message) {
            super(message);
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private Wire(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    static Socket plain(String source, int port, int timeoutMillis) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
        s.setSoTimeout(timeoutMillis);
        return s;
    }

    /** Plain TCP (for plaintext on the TLS port and garbage ClientHellos). */
    static Wire tcp(String source, int port, int timeoutMillis) throws IOException {
        return new Wire(plain(source, port, timeoutMillis));
    }

    /** Implicit TLS trusting exactly the relay's certificate. */
    static Wire tls(String source, int port, Path cert, int timeoutMillis) throws IOException {
        Socket raw = plain(source, port, timeoutMillis);
        SSLSocket s = (SSLSocket) SmtpsClient.sslContext(cert).getSocketFactory().createSocket(raw, "localhost", port, true);
        s.setSoTimeout(timeoutMillis);
        s.startHandshake();
        return new Wire(s);
    }

    void write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    void write(String text) throws IOException {
        write(text.getBytes(StandardCharsets.UTF_8));
    }

    String command(String line) throws IOException {
        write(line + "\r\n");
        return reply();
    }

    void login(String key) throws IOException {
        expect(reply(), "220");
        expect(command("EHLO client.example"), "250");
        String token = Base64.getEncoder().encodeToString(("\0apikey\0" + key).getBytes(StandardCharsets.UTF_8));
        expect(command("AUTH PLAIN " + token), "235");
    }

    /** MAIL, RCPT, DATA up to the 354. */
    void openData() throws IOException {
        expect(command("MAIL FROM:<hello@yourdomain.com>"), "250");
        expect(command("RCPT TO:<recipient@example.com>"), "250");
        expect(command("DATA"), "354");
    }

    static String expect(String reply, String code) {
        if (!reply.startsWith(code)) {
            throw new IllegalStateException("expected " + code + " but got: " + reply);
        }
        return reply;
    }

    /** One reply (multi-line joined with \n); "" at EOF. */
    String reply() throws IOException {
        List<String> lines = new ArrayList<>();
        while (true) {
            String line = line();
            if (line == null) {
                return String.join("\n", lines);
            }
            lines.add(line);
            if (line.length() < 4 || line.charAt(3) != '-') {
                return String.join("\n", lines);
            }
        }
    }

    /** Every line until the server closes; a reset counts as a close; a timeout throws {@link Hung}. */
    List<String> linesUntilClose(long deadlineMillis) throws IOException {
        List<String> lines = new ArrayList<>();
        long end = System.currentTimeMillis() + deadlineMillis;
        while (true) {
            if (System.currentTimeMillis() > end) {
                throw new Hung("still open after " + deadlineMillis + " ms; got " + lines.size() + " lines");
            }
            String line;
            try {
                line = line();
            } catch (SocketTimeoutException e) {
                throw new Hung("no reply and no close within the read timeout; got so far: " + tail(lines));
            } catch (IOException e) {
                return lines; // reset / TLS alert: the server dropped us, which is a close
            }
            if (line == null) {
                return lines;
            }
            lines.add(line);
        }
    }

    static String tail(List<String> lines) {
        return lines.size() <= 6 ? lines.toString() : lines.subList(lines.size() - 6, lines.size()).toString();
    }

    private String line() throws IOException {
        return SmtpsClient.readLine(in);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
