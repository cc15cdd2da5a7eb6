package dev.krafter.relay.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input: a generated corpus of malformed, over-long, hostile or truncated input
 * against one running relay. Each case must end in SMTP replies (code + text) or a clean close,
 * never a stack trace to the client, never a hung connection; and after each case a fresh client
 * from another address still authenticates and gets 250 for a message.
 *
 * <p>Every case connects from its own loopback address (127.1.x.y) so that cases failing AUTH on
 * purpose do not lock out the health check (the AUTH throttle is per address). The reply
 * transcript of every case is printed and written to {@code target/reliability/bad-input.txt}.
 */
class BadInputTest extends RelayWithKey {
    static final String FROM = "hello@yourdomain.com";
    static final String MARKER = "INJECTED";
    static final int READ_TIMEOUT_MS = 15_000;

    /** What happens before the payload. */
    enum Prelude { RAW_TCP, GREETING, EHLO, LOGIN, MAIL, DATA }

    /** What the client does after the payload. */
    enum Trailer {
        QUIT, END_DATA_QUIT, CLOSE, NOTHING,
        /** A password line over 8192 octets is dropped and the next line read as the password: a second QUIT ends the session. */
        QUIT_TWICE
    }

    record Case(String name, Prelude prelude, byte[] payload, Trailer trailer, Consumer<List<String>> check) {
        @Override
        public String toString() {
            return name;
        }
    }

    private final List<String> transcript = new ArrayList<>();
    private int caseNumber;

    @AfterAll
    void writeTranscript() throws IOException {
        Path out = Path.of("target/reliability/bad-input.txt");
        Files.createDirectories(out.getParent());
        Files.write(out, transcript, StandardCharsets.UTF_8);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void badInputGetsAClearReplyOrACleanCloseAndTheServerKeepsServing(Case c) throws Exception {
        int n = ++caseNumber;
        String source = "127.1." + (n / 250) + "." + (n % 250 + 1);
        long emailsBefore = relay.emails();
        List<String> lines = new ArrayList<>();
        boolean hung = false;
        String hungWhy = "";
        long t0 = System.nanoTime();
        try (Wire wire = c.prelude() == Prelude.RAW_TCP
            ? Wire.tcp(source, relay.port(), READ_TIMEOUT_MS)
            : Wire.tls(source, relay.port(), relay.certificate(), READ_TIMEOUT_MS)) {
            prelude(wire, c.prelude());
            try {
                wire.write(c.payload());
                switch (c.trailer()) {
                    case QUIT -> wire.write("QUIT\r\n");
                    case END_DATA_QUIT -> wire.write("\r\n.\r\nQUIT\r\n");
                    case QUIT_TWICE -> wire.write("QUIT\r\nQUIT\r\n");
                    default -> { }
                }
            } catch (IOException e) {
                lines.add("(write failed: server closed: " + e.getClass().getSimpleName() + ")");
            }
            if (c.trailer() != Trailer.CLOSE) {
                try {
                    lines.addAll(wire.linesUntilClose(30_000));
                } catch (Wire.Hung e) {
                    hung = true;
                    hungWhy = e.getMessage();
                }
            }
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        String summary = String.format("%-48s %5d ms  %s", c.name(), ms, summarize(lines));
        System.out.println("bad-input: " + summary);
        transcript.add(summary);

        assertThat(hung).as("hung connection: " + hungWhy).isFalse();
        for (String line : lines) {
            if (line.startsWith("(write failed")) {
                continue;
            }
            assertThat(line).as("stack trace text to the client").doesNotContain("Exception", "\tat ", ".java:");
            assertThat(line).as("injected reply line").doesNotStartWith(MARKER);
            if (c.prelude() != Prelude.RAW_TCP) {
                assertThat(line).as("every line the server sends is an SMTP reply").matches("^[2345]\\d\\d[ -].*");
            }
        }
        c.check().accept(lines);
        if (c.trailer() == Trailer.CLOSE) {
            Thread.sleep(300);
            assertThat(relay.emails()).as("truncated DATA recorded an email").isEqualTo(emailsBefore);
        }
        healthCheck();
    }

    private void prelude(Wire wire, Prelude prelude) throws IOException {
        switch (prelude) {
            case RAW_TCP -> { }
            case GREETING -> Wire.expect(wire.reply(), "220");
            case EHLO -> {
                Wire.expect(wire.reply(), "220");
                Wire.expect(wire.command("EHLO client.example"), "250");
            }
            case LOGIN -> wire.login(key);
            case MAIL -> {
                wire.login(key);
                Wire.expect(wire.command("MAIL FROM:<" + FROM + ">"), "250");
            }
            case DATA -> {
                wire.login(key);
                Wire.expect(wire.command("MAIL FROM:<" + FROM + ">"), "250");
                Wire.expect(wire.command("RCPT TO:<recipient@example.com>"), "250");
                Wire.expect(wire.command("DATA"), "354");
            }
        }
    }

    /** A fresh client from 127.0.0.1: EHLO, AUTH, a message, 250. */
    private void healthCheck() throws IOException {
        try (Wire wire = Wire.tls("127.0.0.1", relay.port(), relay.certificate(), READ_TIMEOUT_MS)) {
            wire.login(key);
            Wire.expect(wire.command("MAIL FROM:<" + FROM + ">"), "250");
            Wire.expect(wire.command("RCPT TO:<recipient@example.com>"), "250");
            Wire.expect(wire.command("DATA"), "354");
            wire.write("Subject: health\r\n\r\nstill serving\r\n.\r\n");
            assertThat(wire.reply()).as("health check after the case").startsWith("250 2.0.0 OK id=");
            wire.command("QUIT");
        }
    }

    private static String summarize(List<String> lines) {
        List<String> shown = new ArrayList<>();
        String previous = null;
        int repeat = 0;
        for (String l : lines) {
            String s = l.length() > 120 ? l.substring(0, 120) + "…" : l;
            s = s.replaceAll("[^\\x20-\\x7e]", "?");
            if (s.equals(previous)) {
                repeat++;
                continue;
            }
            if (repeat > 0) {
                shown.add("(×" + (repeat + 1) + ")");
            }
            repeat = 0;
            previous = s;
            shown.add(s);
        }
        if (repeat > 0) {
            shown.add("(×" + (repeat + 1) + ")");
        }
        if (shown.isEmpty()) {
            return "(closed, no reply)";
        }
        return String.join(" | ", shown.size() > 12 ? shown.subList(0, 12) : shown) + (shown.size() > 12 ? " | …" : "");
    }

    // ------------------------------------------------------------------ the corpus

    static Stream<Case> corpus() {
        List<Case> cases = new ArrayList<>();
        Random random = new Random(8);

        // A. Malformed commands, before and after EHLO
        String[] malformed = {"", " ", "\t", "HELO", "EHLO", "MAIL", "RCPT", "DATA", "BDAT 10 LAST", "FOO", "XYZZY 123",
            "MAIL FROM", "MAIL FROM:", "RCPT TO:", "VRFY root", "EXPN staff", "TURN", "ETRN example.com", "AUTH",
            "AUTH XOAUTH2 dXNlcj0=", "AUTH CRAM-MD5", "AUTH OAUTHBEARER x", "STARTTLS", "HELP", "NOOP extra args",
            "RSET extra", "ehlo lower.case", "EHLO " + "a".repeat(255), "HELO [999.999.999.999]", "\u0000\u0001\u0002\u0003",
            "MAIL\u0000FROM:<a@b>", "%s%s%s%n", "${jndi:ldap://127.0.0.1/x}", "<script>alert(1)</script>",
            "DATA\r\n.\r\n"};
        for (Prelude p : new Prelude[] {Prelude.GREETING, Prelude.EHLO}) {
            for (String m : malformed) {
                cases.add(new Case("malformed " + p + " '" + printable(m) + "'", p, crlf(m), Trailer.QUIT, anyReply()));
            }
        }
        for (int i = 0; i < 12; i++) {
            byte[] junk = new byte[1 + random.nextInt(200)];
            random.nextBytes(junk);
            for (int j = 0; j < junk.length; j++) {
                if (junk[j] == '\n' || junk[j] == '\r') {
                    junk[j] = 'x';
                }
            }
            cases.add(new Case("random command bytes #" + i + " (" + junk.length + " B)", i % 2 == 0 ? Prelude.GREETING : Prelude.LOGIN,
                concat(junk, crlf("")), Trailer.QUIT, anyReply()));
        }

        // B. Over-long command lines (RFC 5321: 512 octets; here > 1000)
        int[] lengths = {1001, 4096, 8192, 8193, 16384, 65536};
        for (int len : lengths) {
            cases.add(new Case("long EHLO line " + len, Prelude.GREETING, crlf(pad("EHLO ", len)), Trailer.QUIT, anyReply()));
            cases.add(new Case("long NOOP line " + len, Prelude.EHLO, crlf(pad("NOOP ", len)), Trailer.QUIT, anyReply()));
            cases.add(new Case("long MAIL FROM line " + len, Prelude.LOGIN,
                crlf(pad("MAIL FROM:<", len - 14) + "@example.com>"), Trailer.QUIT, anyReply()));
            cases.add(new Case("long RCPT TO line " + len, Prelude.MAIL,
                crlf(pad("RCPT TO:<", len - 14) + "@example.com>"), Trailer.QUIT, anyReply()));
            cases.add(new Case("long garbage line " + len, Prelude.GREETING, crlf(pad("", len)), Trailer.QUIT, anyReply()));
        }
        cases.add(new Case("long line 1 MiB without CRLF then QUIT", Prelude.EHLO,
            crlf(pad("X", 1 << 20)), Trailer.QUIT, anyReply()));

        // C. Over-long DATA lines
        for (int len : new int[] {998, 1000, 1001, 4096, 8191, 8192, 8193, 65536}) {
            cases.add(new Case("long DATA line " + len, Prelude.DATA,
                crlf("Subject: long line\r\n\r\n" + pad("", len)), Trailer.END_DATA_QUIT, anyReply()));
            cases.add(new Case("long DATA header line " + len, Prelude.DATA,
                crlf(pad("Subject: ", len) + "\r\n\r\nbody"), Trailer.END_DATA_QUIT, anyReply()));
        }

        // D. Bad base64 in AUTH
        String[] bad64 = {"!!!!", "====", "a", "ab=", "YWJj=ZGVm", "YW Jj", "\u00e9\u00e9\u00e9\u00e9", "%%%%", "Zm9v\u0000YmFy",
            b64("no-nul-separators-at-all"), b64("\u0000apikey"), b64("\u0000\u0000\u0000\u0000")};
        for (String b : bad64) {
            cases.add(new Case("AUTH PLAIN bad base64 '" + printable(b) + "'", Prelude.EHLO, crlf("AUTH PLAIN " + b), Trailer.QUIT, anyReply()));
            // The 501 ends the exchange (AuthCommandHandler; James 3.8.1 took the next line as credentials)
            cases.add(new Case("AUTH PLAIN (continuation) bad base64 '" + printable(b) + "'", Prelude.EHLO,
                crlf("AUTH PLAIN\r\n" + b), Trailer.QUIT, anyReply()));
        }
        cases.add(new Case("AUTH LOGIN bad base64 user", Prelude.EHLO, crlf("AUTH LOGIN\r\n!!!!\r\n!!!!"), Trailer.QUIT, anyReply()));
        cases.add(new Case("AUTH LOGIN cancelled", Prelude.EHLO, crlf("AUTH LOGIN\r\n*"), Trailer.QUIT, anyReply()));
        cases.add(new Case("AUTH PLAIN cancelled", Prelude.EHLO, crlf("AUTH PLAIN\r\n*"), Trailer.QUIT, anyReply()));
        cases.add(new Case("AUTH LOGIN initial response garbage", Prelude.EHLO, crlf("AUTH LOGIN %%%%"), Trailer.QUIT, anyReply()));

        // E. AUTH with empty / huge / NUL-containing credentials
        String[][] creds = {{"", ""}, {"apikey", ""}, {"", "kr_live_x"}, {"apikey", "\u0000"}, {"apikey", "kr_live_\u0000abc"},
            {"api\u0000key", "x"}, {"apikey", "x".repeat(5000)}, {"apikey", "x".repeat(100_000)}, {"x".repeat(5000), "y"},
            {"apikey", "k\u00e9y\u2603\uD83D\uDCA9"}, {"apikey", "kr_live_" + "A".repeat(300)}, {"APIKEY", "kr_live_x"},
            {"apikey ", "kr_live_x"}, {"apikey", " "}, {"apikey", "\r\n"}};
        for (String[] cr : creds) {
            String token = b64("\u0000" + cr[0] + "\u0000" + cr[1]);
            String label = "user " + cr[0].length() + " chars, password " + cr[1].length() + " chars '" + printable(abbrev(cr[1])) + "'";
            cases.add(new Case("AUTH PLAIN " + label, Prelude.EHLO, crlf("AUTH PLAIN " + token), Trailer.QUIT, anyReply()));
            // A password line over 8192 octets is dropped with 500 and James keeps waiting for the password.
            cases.add(new Case("AUTH LOGIN " + label, Prelude.EHLO,
                crlf("AUTH LOGIN\r\n" + b64(cr[0]) + "\r\n" + b64(cr[1])), cr[1].length() > 6000 ? Trailer.QUIT_TWICE : Trailer.QUIT, anyReply()));
        }
        cases.add(new Case("AUTH PLAIN with authzid", Prelude.EHLO, crlf("AUTH PLAIN " + b64("admin\u0000apikey\u0000kr_live_x")), Trailer.QUIT, anyReply()));
        cases.add(new Case("AUTH PLAIN four fields", Prelude.EHLO, crlf("AUTH PLAIN " + b64("\u0000apikey\u0000a\u0000b")), Trailer.QUIT, anyReply()));

        // F. MAIL/RCPT syntax errors
        String[] mail = {"MAIL FROM:hello@yourdomain.com", "MAIL FROM:<hello@yourdomain.com", "MAIL FROM:hello@yourdomain.com>",
            "MAIL FROM:<<hello@yourdomain.com>>", "MAIL FROM:<hello world@yourdomain.com>", "MAIL FROM:<@a,@b:hello@yourdomain.com>",
            "MAIL FROM:<hello@yourdomain.com> SIZE=abc", "MAIL FROM:<hello@yourdomain.com> SIZE=-1",
            "MAIL FROM:<hello@yourdomain.com> SIZE=99999999999999999999999", "MAIL FROM:<hello@yourdomain.com> SIZE=26214401",
            "MAIL FROM:<hello@yourdomain.com> BODY=BINARYMIME", "MAIL FROM:<hello@yourdomain.com> FOO=bar",
            "MAIL FROM:<hello@[999.1.1.1]>", "MAIL FROM:<" + "l".repeat(300) + "@yourdomain.com>",
            "MAIL FROM:<hello@" + "d".repeat(300) + ".com>", "MAIL TO:<hello@yourdomain.com>", "MAIL FROM <hello@yourdomain.com>",
            "MAIL FROM:<hello@>", "MAIL FROM:<@yourdomain.com>", "MAIL FROM:<hello>", "MAIL FROM:<hello@yourdomain..com>",
            "MAIL FROM:<\"quoted local\"@yourdomain.com>", "MAIL FROM:<hello@yourdomain.com>\u0000"};
        for (String m : mail) {
            cases.add(new Case("MAIL syntax '" + printable(abbrev(m)) + "'", Prelude.LOGIN, crlf(m), Trailer.QUIT, anyReply()));
        }
        cases.add(new Case("MAIL twice", Prelude.MAIL, crlf("MAIL FROM:<" + FROM + ">"), Trailer.QUIT, anyReply()));
        cases.add(new Case("RCPT before MAIL", Prelude.LOGIN, crlf("RCPT TO:<recipient@example.com>"), Trailer.QUIT, anyReply()));
        cases.add(new Case("DATA before RCPT", Prelude.MAIL, crlf("DATA"), Trailer.QUIT, anyReply()));
        String[] rcpt = {"RCPT TO:recipient@example.com", "RCPT TO:<recipient@example.com", "RCPT TO:<>", "RCPT TO:<postmaster>",
            "RCPT TO:<a b@example.com>", "RCPT TO:<@x,@y:recipient@example.com>", "RCPT TO:<recipient@example.com> NOTIFY=BOGUS",
            "RCPT TO:<recipient@[300.0.0.1]>", "RCPT FROM:<recipient@example.com>", "RCPT TO:<" + "r".repeat(300) + "@example.com>"};
        for (String r : rcpt) {
            cases.add(new Case("RCPT syntax '" + printable(abbrev(r)) + "'", Prelude.MAIL, crlf(r), Trailer.QUIT, anyReply()));
        }

        // G. 8-bit / UTF-8 addresses without SMTPUTF8
        String[] utf8 = {"MAIL FROM:<j\u00f6s\u00e9@yourdomain.com>", "MAIL FROM:<hello@b\u00fccher.example>",
            "MAIL FROM:<hello@yourdomain.com> SMTPUTF8", "MAIL FROM:<\u7528\u6237@\u4f8b\u5b50.\u5e7f\u544a>"};
        for (String u : utf8) {
            cases.add(new Case("8-bit '" + printable(u) + "'", Prelude.LOGIN, crlf(u), Trailer.QUIT, anyReply()));
        }
        String[] utf8rcpt = {"RCPT TO:<j\u00f6s\u00e9@example.com>", "RCPT TO:<user@b\u00fccher.example>",
            "RCPT TO:<\u7528\u6237@\u4f8b\u5b50.\u5e7f\u544a>", "RCPT TO:<\uD83D\uDCA9@example.com>"};
        for (String u : utf8rcpt) {
            cases.add(new Case("8-bit '" + printable(u) + "'", Prelude.MAIL, crlf(u), Trailer.QUIT, anyReply()));
        }
        cases.add(new Case("8-bit latin-1 raw byte in MAIL", Prelude.LOGIN,
            concat("MAIL FROM:<j".getBytes(StandardCharsets.US_ASCII), new byte[] {(byte) 0xE9}, crlf("@yourdomain.com>")), Trailer.QUIT, anyReply()));
        cases.add(new Case("8-bit invalid UTF-8 in RCPT", Prelude.MAIL,
            concat("RCPT TO:<".getBytes(StandardCharsets.US_ASCII), new byte[] {(byte) 0xC3, (byte) 0x28, (byte) 0xFF}, crlf("@example.com>")), Trailer.QUIT, anyReply()));

        // H. Header injection through X-Krafter values (CR/LF arrive as folded lines)
        String[] injections = {
            "X-Krafter-Stream: bogus\r\n " + MARKER + " 250 2.0.0 OK id=fake",
            "X-Krafter-Stream: bogus\r\n\t" + MARKER + "\r\n\t\r\n 250 faked",
            "X-Krafter-Stream: bogus\r" + MARKER + " bare CR",
            "X-Krafter-Stream: broadcast\r\n " + MARKER + "-Header: x",
            "X-Krafter-Stream: " + "\u00e9\u00e8\u2603".repeat(40),
            "X-Krafter-Stream: bogus\u0000" + MARKER,
            "X-Krafter-Stream: transactional\r\nX-Krafter-Stream: bogus\r\n " + MARKER,
            "X-Krafter-Tracking-Enabled: true\r\n " + MARKER + ": 1",
            "X-Krafter-Stream: %0d%0a" + MARKER + "%0d%0a",
            "X-Krafter-Stream: " + "x".repeat(5000),
        };
        int h = 0;
        for (String inj : injections) {
            cases.add(new Case("header injection #" + (h++) + " '" + printable(abbrev(inj)) + "'", Prelude.DATA,
                crlf(inj + "\r\nSubject: injection\r\n\r\nbody"), Trailer.END_DATA_QUIT, noLineStartsWithMarker()));
        }

        // I. Truncated DATA: the connection closes mid-DATA; nothing may be recorded
        String[] truncated = {"", "Subject: trunc", "Subject: trunc\r\n\r\nhalf a bo", "Subject: trunc\r\n\r\nbody\r\n.",
            "Subject: trunc\r\n\r\n" + "y".repeat(200_000), "Subject: trunc\r\n\r\nbody\r\n.\r"};
        int t = 0;
        for (String tr : truncated) {
            cases.add(new Case("truncated DATA #" + (t++) + " (" + tr.length() + " B then close)", Prelude.DATA,
                tr.getBytes(StandardCharsets.US_ASCII), Trailer.CLOSE, lines -> { }));
        }

        // J. Bare LF line endings
        cases.add(new Case("bare LF EHLO", Prelude.GREETING, "EHLO client.example\n".getBytes(StandardCharsets.US_ASCII), Trailer.QUIT, anyReply()));
        cases.add(new Case("bare LF MAIL", Prelude.LOGIN, ("MAIL FROM:<" + FROM + ">\n").getBytes(StandardCharsets.US_ASCII), Trailer.QUIT, anyReply()));
        cases.add(new Case("bare LF in DATA body", Prelude.DATA, "Subject: lf\n\nbody\n".getBytes(StandardCharsets.US_ASCII),
            Trailer.END_DATA_QUIT, anyReply()));
        cases.add(new Case("bare LF smuggling <LF>.<LF>", Prelude.DATA,
            ("Subject: lf\r\n\r\nbody\n.\nMAIL FROM:<" + FROM + ">\r\n").getBytes(StandardCharsets.US_ASCII), Trailer.END_DATA_QUIT, anyReply()));
        cases.add(new Case("bare CR in DATA body", Prelude.DATA, "Subject: cr\r\n\r\nbo\rdy\r\n".getBytes(StandardCharsets.US_ASCII),
            Trailer.END_DATA_QUIT, anyReply()));
        cases.add(new Case("bare LF end of data only", Prelude.DATA, "Subject: lf\r\n\r\nbody\r\n.\n".getBytes(StandardCharsets.US_ASCII),
            Trailer.END_DATA_QUIT, anyReply()));

        // K. Many recipients (max 50 a message: 452 beyond, the connection survives)
        for (int count : new int[] {51, 500, 5000}) {
            StringBuilder rcpts = new StringBuilder();
            for (int i = 0; i < count; i++) {
                rcpts.append("RCPT TO:<r").append(i).append("@example.com>\r\n");
            }
            cases.add(new Case(count + " recipients pipelined", Prelude.MAIL, rcpts.toString().getBytes(StandardCharsets.US_ASCII),
                Trailer.QUIT, lines -> {
                    assertThat(lines.stream().filter(l -> l.startsWith("250 ")).count()).as("250 for the first 50").isEqualTo(50);
                    assertThat(lines.stream().filter(l -> l.startsWith("452 ")).count()).as("452 beyond 50").isEqualTo(count - 50);
                    assertThat(lines.get(lines.size() - 1)).as("connection survives to QUIT").startsWith("221");
                }));
        }

        // L. MIME bombs
        for (int depth : new int[] {10, 100, 1000, 5000}) {
            cases.add(new Case("nested multipart depth " + depth, Prelude.DATA, crlf(nestedMultipart(depth)), Trailer.END_DATA_QUIT, anyReply()));
        }
        cases.add(new Case("nested message/rfc822 depth 1000", Prelude.DATA, crlf(nestedRfc822(1000)), Trailer.END_DATA_QUIT, anyReply()));
        cases.add(new Case("multipart with 20000 parts", Prelude.DATA, crlf(manyParts(20_000)), Trailer.END_DATA_QUIT, anyReply()));
        cases.add(new Case("20000 header fields", Prelude.DATA,
            crlf("X-Filler: x\r\n".repeat(20_000) + "Subject: headers\r\n\r\nbody"), Trailer.END_DATA_QUIT, anyReply()));
        cases.add(new Case("one header folded over 50000 lines", Prelude.DATA,
            crlf("Subject: fold" + "\r\n x".repeat(50_000) + "\r\n\r\nbody"), Trailer.END_DATA_QUIT, anyReply()));
        cases.add(new Case("multipart with missing boundaries", Prelude.DATA,
            crlf("Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: multipart/mixed; boundary=\"c\"\r\n\r\n--c\r\nno end"),
            Trailer.END_DATA_QUIT, anyReply()));
        cases.add(new Case("invalid base64 body part", Prelude.DATA,
            crlf("Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!!****====\u0000"), Trailer.END_DATA_QUIT, anyReply()));

        // M. Pipelined garbage
        for (int i = 0; i < 12; i++) {
            StringBuilder g = new StringBuilder();
            int lines = 10 + random.nextInt(200);
            for (int l = 0; l < lines; l++) {
                switch (random.nextInt(5)) {
                    case 0 -> g.append("NOOP");
                    case 1 -> g.append("RCPT TO:<x").append(l).append("@example.com>");
                    case 2 -> g.append("MAIL FROM:<").append(FROM).append(">");
                    case 3 -> g.append("RSET");
                    default -> {
                        for (int k = random.nextInt(60); k > 0; k--) {
                            g.append((char) (33 + random.nextInt(94)));
                        }
                    }
                }
                g.append("\r\n");
            }
            Prelude p = Prelude.values()[1 + i % 3];
            cases.add(new Case("pipelined garbage #" + i + " (" + lines + " lines after " + p + ")", p,
                g.toString().getBytes(StandardCharsets.US_ASCII), Trailer.QUIT, anyReply()));
        }
        cases.add(new Case("pipelined NUL flood 64 KiB", Prelude.EHLO, concat(new byte[65_536], crlf("")), Trailer.QUIT, anyReply()));

        // N. TLS ClientHello of garbage / O. plaintext on the TLS port
        for (int i = 0; i < 4; i++) {
            byte[] junk = new byte[100 + random.nextInt(1000)];
            random.nextBytes(junk);
            cases.add(new Case("TLS garbage bytes #" + i, Prelude.RAW_TCP, junk, Trailer.NOTHING, lines -> { }));
        }
        byte[] helloHeader = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xfc, 0x03, 0x03};
        byte[] fakeHello = new byte[517];
        random.nextBytes(fakeHello);
        System.arraycopy(helloHeader, 0, fakeHello, 0, helloHeader.length);
        cases.add(new Case("TLS ClientHello with random body", Prelude.RAW_TCP, fakeHello, Trailer.NOTHING, lines -> { }));
        cases.add(new Case("TLS record header only (5 B) then silence", Prelude.RAW_TCP,
            new byte[] {0x16, 0x03, 0x01, 0x40, 0x00}, Trailer.NOTHING, lines -> { }));
        cases.add(new Case("TLS record of max length, truncated", Prelude.RAW_TCP,
            concat(new byte[] {0x16, 0x03, 0x03, (byte) 0xff, (byte) 0xff}, new byte[1000]), Trailer.NOTHING, lines -> { }));
        cases.add(new Case("SSLv2 ClientHello", Prelude.RAW_TCP,
            new byte[] {(byte) 0x80, 0x2e, 0x01, 0x00, 0x02, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10, 0x07, 0x00, (byte) 0xc0}, Trailer.NOTHING, lines -> { }));
        cases.add(new Case("TLS alert record then silence", Prelude.RAW_TCP, new byte[] {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28},
            Trailer.NOTHING, lines -> { }));
        for (String plain : new String[] {"EHLO client.example\r\n", "HELO x\r\nQUIT\r\n", "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
            "AUTH PLAIN " + b64("\u0000apikey\u0000kr_live_plaintext") + "\r\n"}) {
            cases.add(new Case("plaintext on the TLS port '" + printable(abbrev(plain)) + "'", Prelude.RAW_TCP,
                plain.getBytes(StandardCharsets.US_ASCII), Trailer.NOTHING, lines -> { }));
        }
        cases.add(new Case("connect and send nothing (plain TCP)", Prelude.RAW_TCP, new byte[0], Trailer.CLOSE, lines -> { }));
        return cases.stream();
    }

    static Consumer<List<String>> anyReply() {
        return lines -> { };
    }

    static Consumer<List<String>> noLineStartsWithMarker() {
        return lines -> assertThat(lines).noneMatch(l -> l.contains(MARKER) && !l.matches("^[2345]\\d\\d .*"));
    }

    static String nestedMultipart(int depth) {
        StringBuilder head = new StringBuilder("Subject: nested\r\nMIME-Version: 1.0\r\n");
        StringBuilder tail = new StringBuilder();
        for (int i = 0; i < depth; i++) {
            head.append("Content-Type: multipart/mixed; boundary=\"b").append(i).append("\"\r\n\r\n--b").append(i).append("\r\n");
            tail.insert(0, "\r\n--b" + i + "--\r\n");
        }
        return head + "Content-Type: text/plain\r\n\r\ninnermost\r\n" + tail;
    }

    static String nestedRfc822(int depth) {
        StringBuilder s = new StringBuilder("Subject: rfc822 nest\r\nMIME-Version: 1.0\r\n");
        for (int i = 0; i < depth; i++) {
            s.append("Content-Type: message/rfc822\r\n\r\nSubject: level ").append(i).append("\r\n");
        }
        return s + "\r\ninnermost";
    }

    static String manyParts(int parts) {
        StringBuilder s = new StringBuilder("Subject: parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"p\"\r\n\r\n");
        for (int i = 0; i < parts; i++) {
            s.append("--p\r\n\r\n").append(i).append("\r\n");
        }
        return s + "--p--";
    }

    static byte[] crlf(String s) {
        return (s + "\r\n").getBytes(StandardCharsets.UTF_8);
    }

    static String pad(String prefix, int length) {
        StringBuilder s = new StringBuilder(prefix);
        while (s.length() < length) {
            s.append('a');
        }
        return s.toString();
    }

    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    static String abbrev(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…(" + s.length() + ")" : s;
    }

    static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (char ch : s.toCharArray()) {
            if (ch == '\r') {
                b.append("\\r");
            } else if (ch == '\n') {
                b.append("\\n");
            } else if (ch < 0x20) {
                b.append(String.format("\\x%02x", (int) ch));
            } else {
                b.append(ch);
            }
        }
        return b.length() > 60 ? b.substring(0, 60) + "…" : b.toString();
    }

    static byte[] concat(byte[]... parts) {
        int len = 0;
        for (byte[] p : parts) {
            len += p.length;
        }
        byte[] all = new byte[len];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }

    static void unchecked(IOException e) {
        throw new UncheckedIOException(e);
    }
}
