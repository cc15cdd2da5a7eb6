package dev.krafter.bench;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * The benchmark's load generator, plain JDK (no dependencies), driven by bench/run.
 *
 * <pre>
 *   LoadGen smtp       --port P --ca cert.pem --password K --size BYTES --mode new|reuse --c N
 *                      --warmup S --duration S [--max N] --pids 1,2 [--aux pg=3,ses=4] [--tag k=v,…]
 *   LoadGen handshake  --port P --ca cert.pem --c N --warmup S --duration S --pids … [--tag …]
 *   LoadGen settle     --pids 1,2 [--max S]                          (wait until the trees are idle)
 *   LoadGen tls-server --port P --cert cert.pem --key key.pem        (the bare JVM TLS ceiling)
 *   LoadGen report     results.jsonl                                   (markdown tables on stdout)
 * </pre>
 *
 * One smtp/handshake run is one benchmark cell: warm-up, then a measured window bounded by time and
 * (optionally) message count; it prints one JSON line. Latency is end-of-DATA (the final ".") to the
 * reply. CPU is utime+stime (+ reaped children) of the process trees rooted at --pids, from /proc,
 * between the window's start and end, divided by the messages completed in the window.
 */
public final class LoadGen {
    private static final String HOST = "127.0.0.1";

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            throw new IllegalArgumentException("usage: LoadGen smtp|handshake|tls-server|report …");
        }
        Map<String, String> o = options(Arrays.copyOfRange(args, 1, args.length));
        switch (args[0]) {
            case "smtp", "handshake" -> {
                System.out.println(new Cell(args[0], o).run());
                System.exit(0);
            }
            case "settle" -> settle(new Tree(o.getOrDefault("pids", "")), Double.parseDouble(o.getOrDefault("max", "30")));
            case "tls-server" -> TlsServer.serve(Integer.parseInt(o.get("port")), Path.of(o.get("cert")), Path.of(o.get("key")));
            case "report" -> System.out.print(Report.render(Files.readAllLines(Path.of(args[1]))));
            default -> throw new IllegalArgumentException("unknown mode " + args[0]);
        }
    }

    /**
     * Waits (at most maxSeconds) until the trees are idle: under 5% of a core over half a second, so
     * that a store-and-forward server's backlog from one cell is not billed to the next.
     */
    static void settle(Tree trees, double maxSeconds) throws InterruptedException {
        long deadline = System.nanoTime() + (long) (maxSeconds * 1e9);
        long before = trees.ticks();
        while (System.nanoTime() < deadline) {
            Thread.sleep(500);
            long now = trees.ticks();
            if (now - before <= 2) {
                return;
            }
            before = now;
        }
        System.err.println("settle: still busy after " + maxSeconds + " s");
    }

    static Map<String, String> options(String[] args) {
        Map<String, String> o = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--")) {
                o.put("_" + i, args[i]);
                continue;
            }
            o.put(args[i].substring(2), i + 1 < args.length ? args[++i] : "");
        }
        return o;
    }

    static Map<String, String> pairs(String csv) {
        Map<String, String> m = new LinkedHashMap<>();
        if (csv == null || csv.isBlank()) {
            return m;
        }
        for (String pair : csv.split(",")) {
            int eq = pair.indexOf('=');
            m.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        return m;
    }

    // ---------------------------------------------------------------- TLS material

    static Certificate certificate(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    static SSLContext clientContext(Path caPem) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("server", certificate(caPem));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    static SSLContext serverContext(Path certPem, Path keyPem) throws Exception {
        String pem = Files.readString(keyPem);
        if (!pem.contains("BEGIN PRIVATE KEY")) {
            throw new IllegalArgumentException(keyPem + ": expected a PKCS#8 key (BEGIN PRIVATE KEY)");
        }
        byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", "").strip());
        PrivateKey key;
        try {
            key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (java.security.spec.InvalidKeySpecException notRsa) {
            key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        char[] pw = "bench".toCharArray();
        ks.setKeyEntry("server", key, pw, new Certificate[] {certificate(certPem)});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }

    // ---------------------------------------------------------------- one SMTP connection

    static final class SmtpConnection implements Closeable {
        final SSLSocket socket;
        final InputStream in;
        final OutputStream out;

        SmtpConnection(SSLSocketFactory factory, int port) throws IOException {
            Socket raw = new Socket();
            raw.setTcpNoDelay(true);
            raw.connect(new InetSocketAddress(HOST, port), 10_000);
            raw.setSoTimeout(120_000);
            socket = (SSLSocket) factory.createSocket(raw, HOST, port, true);
            socket.startHandshake();
            // A new connection must cost a full handshake: no TLS 1.3 resumption from the client's cache.
            socket.getSession().invalidate();
            in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
            out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
        }

        /** The reply code; the text of a failed reply goes into the exception. */
        int reply(int expected) throws IOException {
            StringBuilder text = new StringBuilder();
            while (true) {
                String line = line();
                text.append(line).append(' ');
                if (line.length() < 4 || line.charAt(3) != '-') {
                    int code = line.length() >= 3 ? Integer.parseInt(line.substring(0, 3)) : -1;
                    if (code != expected) {
                        throw new IOException("expected " + expected + ", got: " + text.toString().strip());
                    }
                    return code;
                }
            }
        }

        String line() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream(128);
            int c;
            while ((c = in.read()) != -1) {
                if (c == '\n') {
                    break;
                }
                if (c != '\r') {
                    b.write(c);
                }
            }
            if (c == -1 && b.size() == 0) {
                throw new IOException("connection closed by the server");
            }
            return b.toString(StandardCharsets.US_ASCII);
        }

        void send(String command) throws IOException {
            out.write((command + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        void command(String command, int expected) throws IOException {
            send(command);
            reply(expected);
        }

        void login(String password) throws IOException {
            reply(220);
            send("EHLO bench.local");
            reply(250);
            String plain = Base64.getEncoder().encodeToString(("\0apikey\0" + password).getBytes(StandardCharsets.UTF_8));
            command("AUTH PLAIN " + plain, 235);
        }

        /** One message; returns nanoseconds from the end of DATA to the 250. */
        long message(byte[] body) throws IOException {
            command("MAIL FROM:<hello@yourdomain.com> SIZE=" + body.length, 250);
            command("RCPT TO:<recipient@example.com>", 250);
            command("DATA", 354);
            out.write(body);
            out.flush();
            long start = System.nanoTime();
            out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            reply(250);
            return System.nanoTime() - start;
        }

        void quit() {
            try {
                send("QUIT");
            } catch (IOException ignored) {
                // closing anyway
            }
            close();
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // nothing to do
            }
        }
    }

    /** A message of exactly {@code size} octets, lines of 78 octets, no line starting with a dot. */
    static byte[] message(int size) {
        byte[] head = ("From: hello@yourdomain.com\r\nTo: recipient@example.com\r\nSubject: bench " + size
            + "\r\nMessage-ID: <bench@yourdomain.com>\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] m = new byte[Math.max(size, head.length + 4)];
        System.arraycopy(head, 0, m, 0, head.length);
        for (int i = head.length; i < m.length; i++) {
            int column = (i - head.length) % 78;
            m[i] = column == 76 ? (byte) '\r' : column == 77 ? (byte) '\n' : (byte) ('a' + (i % 26));
        }
        if (m[m.length - 3] == '\r') {
            m[m.length - 3] = 'x';
        }
        m[m.length - 2] = '\r';
        m[m.length - 1] = '\n';
        return m;
    }

    // ---------------------------------------------------------------- one benchmark cell

    static final class Cell {
        final String kind;
        final Map<String, String> o;
        final int port;
        final int concurrency;
        final boolean newConnection;
        final byte[] body;
        final String password;
        final SSLSocketFactory factory;
        final long max;
        volatile boolean measuring;
        volatile boolean stop;
        final AtomicLong measured = new AtomicLong();
        final AtomicLong errors = new AtomicLong();
        final AtomicLong connections = new AtomicLong();
        final ConcurrentLinkedQueue<String> errorSamples = new ConcurrentLinkedQueue<>();
        final List<long[]> latencies = new ArrayList<>();
        /** New connections: connect() to the 235 of AUTH, in nanoseconds (measured window only). */
        final ConcurrentLinkedQueue<Long> setups = new ConcurrentLinkedQueue<>();

        Cell(String kind, Map<String, String> o) throws Exception {
            this.kind = kind;
            this.o = o;
            port = Integer.parseInt(o.get("port"));
            concurrency = Integer.parseInt(o.getOrDefault("c", "1"));
            newConnection = kind.equals("handshake") || o.getOrDefault("mode", "reuse").equals("new");
            body = kind.equals("smtp") ? message(Integer.parseInt(o.get("size"))) : null;
            password = o.getOrDefault("password", "");
            factory = clientContext(Path.of(o.get("ca"))).getSocketFactory();
            max = Long.parseLong(o.getOrDefault("max", "0"));
        }

        String run() throws Exception {
            double warmup = Double.parseDouble(o.getOrDefault("warmup", "3"));
            double duration = Double.parseDouble(o.getOrDefault("duration", "10"));
            Tree server = new Tree(o.getOrDefault("pids", ""));
            Map<String, Tree> aux = new LinkedHashMap<>();
            pairs(o.get("aux")).forEach((name, pids) -> aux.put(name, new Tree(pids.replace('+', ','))));

            List<Thread> workers = new ArrayList<>();
            for (int i = 0; i < concurrency; i++) {
                long[][] mine = {new long[1024]};
                int[] n = {0};
                Thread t = new Thread(() -> work(mine, n), "worker-" + i);
                t.setDaemon(true);
                workers.add(t);
                t.start();
            }
            Thread.sleep((long) (warmup * 1000));
            long cpu0 = server.ticks();
            Map<String, Long> aux0 = new LinkedHashMap<>();
            aux.forEach((k, v) -> aux0.put(k, v.ticks()));
            long t0 = System.nanoTime();
            measuring = true;
            long deadline = t0 + (long) (duration * 1e9);
            long peakPss = 0;
            long peakRss = 0;
            long nextSample = 0;
            while (System.nanoTime() < deadline && (max == 0 || measured.get() < max)
                    && (errors.get() < 50 || measured.get() > 0)) {  // a server that only fails: give up early
                if (System.nanoTime() >= nextSample) {
                    long[] mem = server.memoryKb();
                    peakPss = Math.max(peakPss, mem[0]);
                    peakRss = Math.max(peakRss, mem[1]);
                    nextSample = System.nanoTime() + 250_000_000L;
                }
                Thread.sleep(5);
            }
            measuring = false;
            long t1 = System.nanoTime();
            long cpu1 = server.ticks();
            Map<String, Long> aux1 = new LinkedHashMap<>();
            aux.forEach((k, v) -> aux1.put(k, v.ticks()));
            long[] mem = server.memoryKb();
            peakPss = Math.max(peakPss, mem[0]);
            peakRss = Math.max(peakRss, mem[1]);
            stop = true;
            for (Thread t : workers) {
                t.join(5_000);
            }

            long count = measured.get();
            double secs = (t1 - t0) / 1e9;
            long[] all;
            synchronized (latencies) {
                all = latencies.stream().flatMapToLong(Arrays::stream).filter(v -> v > 0).sorted().toArray();
            }
            double tick = 1000.0 / Long.parseLong(o.getOrDefault("clk-tck", "100"));
            Map<String, Object> r = new LinkedHashMap<>();
            pairs(o.get("tag")).forEach(r::put);
            r.put("kind", kind);
            r.put("size", body == null ? 0 : body.length);
            r.put("mode", newConnection ? "new" : "reuse");
            r.put("c", concurrency);
            r.put("msgs", count);
            r.put("secs", round(secs));
            r.put("rate", round(count / secs));
            r.put("p50_ms", round(percentile(all, 0.50) / 1e6));
            r.put("p99_ms", round(percentile(all, 0.99) / 1e6));
            long[] setup = setups.stream().mapToLong(Long::longValue).sorted().toArray();
            r.put("setup_p50_ms", round(percentile(setup, 0.50) / 1e6));
            r.put("cpu_ms_per_msg", count == 0 ? 0 : round((cpu1 - cpu0) * tick / count));
            r.put("cpu_util", round((cpu1 - cpu0) * tick / 1000.0 / secs));
            for (String k : aux.keySet()) {
                r.put("cpu_ms_per_msg_" + k, count == 0 ? 0 : round((aux1.get(k) - aux0.get(k)) * tick / count));
            }
            r.put("pss_peak_mb", round(peakPss / 1024.0));
            r.put("rss_peak_mb", round(peakRss / 1024.0));
            r.put("connections", connections.get());
            r.put("errors", errors.get());
            r.put("error_sample", String.join(" | ", errorSamples));
            r.put("loadavg", Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
            return json(r);
        }

        void work(long[][] mine, int[] n) {
            synchronized (latencies) {
                latencies.add(mine[0]);
            }
            SmtpConnection conn = null;
            while (!stop) {
                try {
                    if (kind.equals("handshake")) {
                        long start = System.nanoTime();
                        SmtpConnection c = new SmtpConnection(factory, port);
                        connections.incrementAndGet();
                        c.reply(220);
                        long took = System.nanoTime() - start;
                        c.quit();
                        record(mine, n, took);
                        continue;
                    }
                    if (conn == null) {
                        long opening = System.nanoTime();
                        conn = new SmtpConnection(factory, port);
                        connections.incrementAndGet();
                        conn.login(password);
                        if (measuring) {
                            setups.add(System.nanoTime() - opening);
                        }
                    }
                    long took = conn.message(body);
                    if (newConnection) {
                        conn.quit();
                        conn = null;
                    }
                    record(mine, n, took);
                } catch (Exception e) {
                    if (stop) {
                        break;
                    }
                    errors.incrementAndGet();
                    if (errorSamples.size() < 3) {
                        errorSamples.add(String.valueOf(e.getMessage()));
                    }
                    if (conn != null) {
                        conn.close();
                        conn = null;
                    }
                    sleep(100);
                }
            }
            if (conn != null) {
                conn.quit();
            }
        }

        void record(long[][] mine, int[] n, long took) {
            if (!measuring) {
                return;
            }
            measured.incrementAndGet();
            synchronized (latencies) {
                if (n[0] == mine[0].length) {
                    long[] bigger = Arrays.copyOf(mine[0], n[0] * 2);
                    latencies.remove(mine[0]);
                    latencies.add(bigger);
                    mine[0] = bigger;
                }
                mine[0][n[0]++] = took;
            }
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static double percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    static double round(double v) {
        return Math.round(v * 100.0) / 100.0;
    }

    // ---------------------------------------------------------------- process trees from /proc

    /** The processes rooted at some pids, with every descendant alive at the time of reading. */
    static final class Tree {
        final List<Integer> roots = new ArrayList<>();

        Tree(String csv) {
            for (String p : csv.split(",")) {
                if (!p.isBlank()) {
                    roots.add(Integer.parseInt(p.strip()));
                }
            }
        }

        List<Integer> members() {
            Map<Integer, List<Integer>> children = new HashMap<>();
            try (var dirs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
                for (Path dir : dirs) {
                    String[] f = stat(dir);
                    if (f != null) {
                        children.computeIfAbsent(Integer.parseInt(f[1]), k -> new ArrayList<>()).add(Integer.parseInt(dir.getFileName().toString()));
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            List<Integer> all = new ArrayList<>(roots);
            for (int i = 0; i < all.size(); i++) {
                all.addAll(children.getOrDefault(all.get(i), List.of()));
            }
            return all;
        }

        /** Fields after the command name: [0]=state, [1]=ppid, … [11]=utime, [12]=stime, [13]=cutime, [14]=cstime. */
        static String[] stat(Path dir) {
            try {
                String s = Files.readString(dir.resolve("stat"));
                return s.substring(s.lastIndexOf(')') + 2).split(" ");
            } catch (IOException | RuntimeException gone) {
                return null;
            }
        }

        /** Clock ticks used by the tree, including children it has reaped (e.g. Postfix's exited smtpd). */
        long ticks() {
            long sum = 0;
            for (int pid : members()) {
                String[] f = stat(Path.of("/proc/" + pid));
                if (f != null) {
                    sum += Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
                }
            }
            return sum;
        }

        /** {PSS, RSS} in kB, summed over the tree. */
        long[] memoryKb() {
            long pss = 0;
            long rss = 0;
            for (int pid : members()) {
                try {
                    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"))) {
                        if (line.startsWith("Pss:")) {
                            pss += Long.parseLong(line.replaceAll("\\D", ""));
                        } else if (line.startsWith("Rss:")) {
                            rss += Long.parseLong(line.replaceAll("\\D", ""));
                        }
                    }
                } catch (IOException | RuntimeException gone) {
                    // the process ended between listing and reading
                }
            }
            return new long[] {pss, rss};
        }
    }

    // ---------------------------------------------------------------- the bare JVM TLS server

    /** Accepts, completes the TLS handshake, writes a 220 greeting, reads until the client leaves. */
    static final class TlsServer {
        static void serve(int port, Path cert, Path key) throws Exception {
            SSLContext ctx = serverContext(cert, key);
            try (SSLServerSocket server = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket()) {
                server.setReuseAddress(true);
                server.bind(new InetSocketAddress(HOST, port), 512);
                server.setEnabledProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
                System.out.println("bare TLS server listening on " + HOST + ":" + port);
                while (true) {
                    Socket s = server.accept();
                    Thread t = new Thread(() -> greet((SSLSocket) s));
                    t.setDaemon(true);
                    t.start();
                }
            }
        }

        static void greet(SSLSocket s) {
            try (s) {
                s.setTcpNoDelay(true);
                s.setSoTimeout(30_000);
                s.startHandshake();
                OutputStream out = s.getOutputStream();
                out.write("220 bare TLS ceiling\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = s.getInputStream();
                byte[] buf = new byte[512];
                while (in.read(buf) != -1) {
                    // QUIT or anything: read until the client closes
                }
            } catch (IOException ignored) {
                // client gone
            }
        }
    }

    // ---------------------------------------------------------------- JSON (flat) and the report

    static String json(Map<String, Object> m) {
        StringBuilder b = new StringBuilder("{");
        for (Map.Entry<String, Object> e : m.entrySet()) {
            if (b.length() > 1) {
                b.append(',');
            }
            b.append('"').append(e.getKey()).append("\":");
            Object v = e.getValue();
            if (v instanceof Number) {
                b.append(v);
            } else {
                b.append('"').append(String.valueOf(v).replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            }
        }
        return b.append('}').toString();
    }

    static Map<String, String> parse(String line) {
        Map<String, String> m = new LinkedHashMap<>();
        Matcher matcher = Pattern.compile("\"([^\"]+)\":(\"((?:[^\"\\\\]|\\\\.)*)\"|[-0-9.eE]+)").matcher(line);
        while (matcher.find()) {
            m.put(matcher.group(1), matcher.group(3) != null ? matcher.group(3) : matcher.group(2));
        }
        return m;
    }

    /**
     * Markdown from the result lines (tags: server, cell, rep). Per cell and server the medians over
     * repetitions; the relay/peer ratios are computed per repetition, then their median is reported.
     */
    static final class Report {
        static String render(List<String> lines) {
            Map<String, Map<String, Map<String, Map<String, String>>>> byCell = new LinkedHashMap<>(); // cell -> server -> rep -> row
            List<String> servers = new ArrayList<>();
            for (String line : lines) {
                if (!line.startsWith("{")) {
                    continue;
                }
                Map<String, String> r = parse(line);
                byCell.computeIfAbsent(r.get("cell"), k -> new LinkedHashMap<>())
                    .computeIfAbsent(r.get("server"), k -> new TreeMap<>()).put(r.get("rep"), r);
                if (!servers.contains(r.get("server"))) {
                    servers.add(r.get("server"));
                }
            }
            List<String> peers = servers.stream().filter(s -> !s.equals("relay") && !s.equals("bare-jvm")).toList();
            StringBuilder out = new StringBuilder();
            out.append("| cell | server | reps | msg/s | p50 ms | p99 ms | connect→AUTH p50 ms | server CPU ms/msg | peak PSS MB | peak RSS MB | errors |\n");
            out.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
            for (var cell : byCell.entrySet()) {
                for (String server : servers) {
                    Map<String, Map<String, String>> reps = cell.getValue().get(server);
                    if (reps == null) {
                        continue;
                    }
                    Collection<Map<String, String>> rows = reps.values();
                    String aux = rows.iterator().next().keySet().stream().filter(k -> k.startsWith("cpu_ms_per_msg_"))
                        .map(k -> k.substring("cpu_ms_per_msg_".length()) + " " + fmt(median(rows, k)))
                        .reduce((a, b) -> a + ", " + b).map(s -> " (" + s + ")").orElse("");
                    double setup = median(rows, "setup_p50_ms");
                    out.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %s | %s | %s%s | %s | %s | %s |%n", cell.getKey(), server,
                        rows.size(), fmt(median(rows, "rate")), fmt(median(rows, "p50_ms")), fmt(median(rows, "p99_ms")),
                        setup > 0 ? fmt(setup) : "–", fmt(median(rows, "cpu_ms_per_msg")), aux, fmt(median(rows, "pss_peak_mb")), fmt(median(rows, "rss_peak_mb")),
                        fmt(rows.stream().mapToDouble(r -> Double.parseDouble(r.get("errors"))).sum())));
                }
            }
            out.append("\nRatios relay/peer: median over repetitions of the per-repetition ratio "
                + "(msg/s: higher is better for the relay; p99 and CPU: lower is better).\n\n");
            out.append("| cell | peer | msg/s ratio | p99 ratio | CPU/msg ratio | peak PSS ratio |\n|---|---|---|---|---|---|\n");
            for (var cell : byCell.entrySet()) {
                Map<String, Map<String, String>> relay = cell.getValue().get("relay");
                if (relay == null) {
                    continue;
                }
                for (String peer : cell.getValue().containsKey("bare-jvm") ? List.of("bare-jvm") : peers) {
                    Map<String, Map<String, String>> other = cell.getValue().get(peer);
                    if (other == null) {
                        continue;
                    }
                    out.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |%n", cell.getKey(), peer,
                        fmt(ratio(relay, other, "rate")), fmt(ratio(relay, other, "p99_ms")),
                        fmt(ratio(relay, other, "cpu_ms_per_msg")), fmt(ratio(relay, other, "pss_peak_mb"))));
                }
            }
            Map<String, Map<String, Map<String, String>>> handshakes = byCell.get("handshake-c16");
            if (handshakes != null && handshakes.containsKey("bare-jvm")) {
                Map<String, Map<String, String>> bare = handshakes.get("bare-jvm");
                out.append("\nTLS handshake ceiling: per repetition ÷ the bare JVM TLS server's handshakes/s (c=16), median "
                    + "(target for the relay: ≥ 0.9).\n\n| server | handshake-c16 ÷ ceiling | 10k-new-c16 msg/s ÷ ceiling |\n|---|---|---|\n");
                for (String server : servers) {
                    if (server.equals("bare-jvm")) {
                        continue;
                    }
                    Map<String, Map<String, String>> hs = handshakes.get(server);
                    Map<String, Map<String, String>> nc = byCell.getOrDefault("10k-new-c16", Map.of()).get(server);
                    out.append(String.format(Locale.ROOT, "| %s | %s | %s |%n", server,
                        hs == null ? "–" : fmt(ratio(hs, bare, "rate")), nc == null ? "–" : fmt(ratio(nc, bare, "rate"))));
                }
            }
            return out.toString();
        }

        static double median(Collection<Map<String, String>> rows, String key) {
            return median(rows.stream().map(r -> r.get(key)).filter(v -> v != null).mapToDouble(Double::parseDouble).toArray());
        }

        static double median(double[] v) {
            if (v.length == 0) {
                return Double.NaN;
            }
            Arrays.sort(v);
            return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
        }

        static double ratio(Map<String, Map<String, String>> relay, Map<String, Map<String, String>> peer, String key) {
            List<Double> ratios = new ArrayList<>();
            for (var rep : relay.entrySet()) {
                Map<String, String> other = peer.get(rep.getKey());
                if (other == null) {
                    continue;
                }
                double a = Double.parseDouble(rep.getValue().get(key));
                double b = Double.parseDouble(other.get(key));
                if (b > 0) {
                    ratios.add(a / b);
                }
            }
            return median(ratios.stream().mapToDouble(Double::doubleValue).toArray());
        }

        static String fmt(double v) {
            if (Double.isNaN(v)) {
                return "–";
            }
            return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : v >= 10 ? String.format(Locale.ROOT, "%.1f", v)
                : String.format(Locale.ROOT, "%.2f", v);
        }
    }
}
