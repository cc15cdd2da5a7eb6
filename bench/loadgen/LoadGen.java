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
 *                      [--pg postgresql://…] [--sink-counter smtp-sink.log] [--queue-dir postfix/queue]
 *   LoadGen handshake  --port P --ca cert.pem --c N --warmup S --duration S --pids … [--tag …]
 *   LoadGen settle     --pids 1,2 [--max S]                          (wait until the trees are idle)
 *   LoadGen tls-server --port P --cert cert.pem --key key.pem        (the bare JVM TLS ceiling)
 *   LoadGen report     results.jsonl                                   (markdown tables on stdout)
 * </pre>
 *
 * One smtp/handshake run is one benchmark cell: warm-up, then a measured window bounded by time and
 * (optionally) message count; it prints one JSON line. Latency is end-of-DATA (the final ".") to the
 * reply. CPU is utime+stime (+ reaped children) of the process trees rooted at --pids, from /proc,
 * between the window's start and end, divided by the messages completed in the window. Delivered
 * (what reached the next hop) is counted over the same window; see {@link NextHop}.
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
            // Every message its own Message-ID, as real mail has (the relay treats a repeated one as a resend).
            out.write(body, 0, MESSAGE_ID_AT);
            out.write(String.format("%016x", RUN_ID + MESSAGE_COUNT.incrementAndGet()).getBytes(StandardCharsets.US_ASCII));
            out.write(body, MESSAGE_ID_AT + ID_MARK.length(), body.length - MESSAGE_ID_AT - ID_MARK.length());
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

    /** Where the Message-ID's unique part goes; replaced at each send. */
    static final String ID_MARK = "0000000000000000";
    static final String HEAD_BEFORE_ID = "From: hello@yourdomain.com\r\nTo: recipient@example.com\r\nSubject: bench ";
    static int MESSAGE_ID_AT;
    static final long RUN_ID = new java.util.Random().nextLong() & 0x7fff_ffff_0000_0000L;
    static final java.util.concurrent.atomic.AtomicLong MESSAGE_COUNT = new java.util.concurrent.atomic.AtomicLong();

    /** A message of exactly {@code size} octets, lines of 78 octets, no line starting with a dot. */
    static byte[] message(int size) {
        String headText = HEAD_BEFORE_ID + size + "\r\nMessage-ID: <bench-" + ID_MARK + "@yourdomain.com>\r\n\r\n";
        MESSAGE_ID_AT = headText.indexOf(ID_MARK);
        byte[] head = headText.getBytes(StandardCharsets.US_ASCII);
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
            NextHop hop = new NextHop(o);
            hop.start();
            long cpu0 = server.ticks();
            Map<String, Long> aux0 = new LinkedHashMap<>();
            aux.forEach((k, v) -> aux0.put(k, v.ticks()));
            long t0 = System.nanoTime();
            long wall0 = wallMicros();
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
            long wall1 = wallMicros();
            hop.sinkEnd();
            long cpu1 = server.ticks();
            Map<String, Long> aux1 = new LinkedHashMap<>();
            aux.forEach((k, v) -> aux1.put(k, v.ticks()));
            long[] mem = server.memoryKb();
            peakPss = Math.max(peakPss, mem[0]);
            peakRss = Math.max(peakRss, mem[1]);
            hop.end();
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
            hop.report(r, count, secs, wall0, wall1);
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

    static long wallMicros() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
    }

    /**
     * What reached the next hop during the window, and for the relay what PostgreSQL did for it.
     * <ul>
     *   <li>{@code --sink-counter FILE}: the output of {@code smtp-sink -c} (a running count of completed
     *       DATA commands); delivered = its last value at the window's end minus at its start.</li>
     *   <li>{@code --pg URL} (libpq URL, the relay's database): delivered = email records marked sent
     *       (SES answered) with {@code sent_at} inside the window, counted after it; and the deltas of
     *       {@code pg_stat_wal} (wal_sync, wal_write, wal_bytes), {@code pg_stat_database.xact_commit},
     *       transaction ids assigned (write transactions) and the {@code mail_queue} rows at both ends.</li>
     *   <li>{@code --queue-dir DIR}: a Postfix queue directory; its queued files at both ends.</li>
     * </ul>
     * Every reading is taken outside the CPU window's bounds (psql runs as the load generator's child;
     * its backend is PostgreSQL's), so the probes cost the measured servers nothing but one query each end.
     */
    static final class NextHop {
        static final String STATS = "SELECT w.wal_sync, w.wal_write, w.wal_bytes, d.xact_commit, "
            + "pg_snapshot_xmax(pg_current_snapshot()), (SELECT count(*) FROM mail_queue) "
            + "FROM pg_stat_wal w, pg_stat_database d WHERE d.datname = current_database()";
        final Path sinkCounter;
        final String pg;
        final Path queueDir;
        long sink0 = -1;
        long sink1 = -1;
        double[] pg0;
        double[] pg1;
        long queue0 = -1;
        long queue1 = -1;
        final List<String> problems = new ArrayList<>();

        NextHop(Map<String, String> o) {
            sinkCounter = o.containsKey("sink-counter") ? Path.of(o.get("sink-counter")) : null;
            pg = o.get("pg");
            queueDir = o.containsKey("queue-dir") ? Path.of(o.get("queue-dir")) : null;
        }

        void start() {
            if (pg != null) {
                pg0 = stats();
            }
            if (queueDir != null) {
                queue0 = queuedFiles();
            }
            if (sinkCounter != null) {
                sink0 = counter();
            }
        }

        void sinkEnd() {
            if (sinkCounter != null) {
                sink1 = counter();
            }
        }

        void end() {
            if (pg != null) {
                pg1 = stats();
            }
            if (queueDir != null) {
                queue1 = queuedFiles();
            }
        }

        void report(Map<String, Object> r, long accepted, double secs, long wall0, long wall1) throws InterruptedException {
            long delivered = -1;
            if (sinkCounter != null && sink0 >= 0 && sink1 >= 0) {
                delivered = sink1 - sink0;
            }
            if (pg != null) {
                Thread.sleep(300); // a completion begun inside the window (sent_at = its start) commits
                String n = psql(String.format(Locale.ROOT, "SELECT count(*) FROM emails WHERE status = 'sent' "
                    + "AND sent_at >= to_timestamp(%d / 1e6) AND sent_at < to_timestamp(%d / 1e6)", wall0, wall1));
                delivered = n == null ? -1 : Long.parseLong(n.strip());
            }
            if (delivered >= 0) {
                r.put("delivered", delivered);
                r.put("delivered_rate", round(delivered / secs));
            }
            if (pg0 != null && pg1 != null && accepted > 0) {
                String[] names = {"wal_sync", "wal_write", "wal_bytes", "xact_commit", "write_xacts"};
                for (int i = 0; i < names.length; i++) {
                    double d = pg1[i] - pg0[i];
                    r.put(names[i], (long) d);
                    r.put(names[i] + "_per_msg", i == 2 ? round(d / accepted / 1024.0) : Math.round(d / accepted * 1000.0) / 1000.0);
                }
                r.put("queue_start", (long) pg0[5]);
                r.put("queue_end", (long) pg1[5]);
            }
            if (queue0 >= 0 && queue1 >= 0) {
                r.put("queue_start", queue0);
                r.put("queue_end", queue1);
            }
            if (!problems.isEmpty()) {
                r.put("next_hop_problem", String.join(" | ", problems));
            }
        }

        /** The last number smtp-sink -c wrote ("1\r2\r3\r…"), 0 before its first message. */
        long counter() {
            try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(sinkCounter.toFile(), "r")) {
                long len = f.length();
                int n = (int) Math.min(len, 64);
                byte[] tail = new byte[n];
                f.seek(len - n);
                f.readFully(tail);
                Matcher m = Pattern.compile("(\\d+)\\D*$").matcher(new String(tail, StandardCharsets.US_ASCII));
                return m.find() ? Long.parseLong(m.group(1)) : 0;
            } catch (IOException e) {
                problems.add("sink counter: " + e.getMessage());
                return -1;
            }
        }

        long queuedFiles() {
            long n = 0;
            for (String sub : List.of("maildrop", "incoming", "active", "deferred", "hold")) {
                Path d = queueDir.resolve(sub);
                if (!Files.isDirectory(d)) {
                    continue;
                }
                try (var files = Files.walk(d)) {
                    n += files.filter(Files::isRegularFile).count();
                } catch (IOException | java.io.UncheckedIOException e) {
                    // a file moved between listing and reading: count the rest
                }
            }
            return n;
        }

        double[] stats() {
            String line = psql(STATS);
            if (line == null) {
                return null;
            }
            String[] f = line.strip().split("\\|");
            double[] v = new double[f.length];
            for (int i = 0; i < f.length; i++) {
                v[i] = Double.parseDouble(f[i]);
            }
            return v;
        }

        String psql(String sql) {
            try {
                Process p = new ProcessBuilder("psql", pg, "-XqtA", "-v", "ON_ERROR_STOP=1", "-c", sql)
                    .redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
                    problems.add("psql: " + out.strip());
                    return null;
                }
                return out;
            } catch (IOException e) {
                problems.add("psql: " + e.getMessage());
                return null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
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
            out.append(summary(byCell, peers));
            out.append("\nEvery figure (medians over repetitions). msg/s: 250s in the window ÷ its length; delivered msg/s: "
                + "messages that reached the next hop (relay: SES stand-in, records marked sent; peers: their smtp-sink) in the "
                + "same window ÷ its length; queue: rows/files queued at the window's start → end (relay: mail_queue; Postfix: "
                + "its queue directory).\n\n");
            out.append("| cell | server | reps | msg/s | delivered msg/s | queue start→end | p50 ms | p99 ms | connect→AUTH p50 ms | server CPU ms/msg | peak PSS MB | peak RSS MB | errors |\n");
            out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
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
                    out.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s%s | %s | %s | %s |%n", cell.getKey(), server,
                        rows.size(), fmt(median(rows, "rate")), fmt(median(rows, "delivered_rate")), queue(rows),
                        fmt(median(rows, "p50_ms")), fmt(median(rows, "p99_ms")),
                        setup > 0 ? fmt(setup) : "–", fmt(median(rows, "cpu_ms_per_msg")), aux, fmt(median(rows, "pss_peak_mb")), fmt(median(rows, "rss_peak_mb")),
                        fmt(rows.stream().mapToDouble(r -> Double.parseDouble(r.get("errors"))).sum())));
                }
            }
            out.append("\nRatios relay/peer: median over repetitions of the per-repetition ratio "
                + "(msg/s: higher is better for the relay; p99 and CPU: lower is better).\n\n");
            out.append("| cell | peer | msg/s ratio | delivered msg/s ratio | p99 ratio | CPU/msg ratio | peak PSS ratio |\n|---|---|---|---|---|---|---|\n");
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
                    out.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s |%n", cell.getKey(), peer,
                        fmt(ratio(relay, other, "rate")), fmt(ratio(relay, other, "delivered_rate")), fmt(ratio(relay, other, "p99_ms")),
                        fmt(ratio(relay, other, "cpu_ms_per_msg")), fmt(ratio(relay, other, "pss_peak_mb"))));
                }
            }
            out.append(postgres(byCell));
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

        /** One line per cell: the relay against each peer, ratios per repetition then their median. */
        static String summary(Map<String, Map<String, Map<String, Map<String, String>>>> byCell, List<String> peers) {
            StringBuilder out = new StringBuilder();
            String names = "relay" + peers.stream().map(p -> " / " + p).reduce("", String::concat);
            out.append("| cell | msg/s ").append(names);
            peers.forEach(p -> out.append(" | relay ÷ ").append(p));
            out.append(" | delivered msg/s ").append(names);
            peers.forEach(p -> out.append(" | delivered relay ÷ ").append(p));
            out.append(" | p50 ms ").append(names).append(" | p99 ms ").append(names)
                .append(" | server CPU ms/msg ").append(names).append(" | peak PSS MB ").append(names).append(" |\n|---");
            int columns = 1 + 2 * peers.size() + 2 + 4;
            out.append("|---".repeat(columns)).append("|\n");
            for (var cell : byCell.entrySet()) {
                Map<String, Map<String, String>> relay = cell.getValue().get("relay");
                if (relay == null || cell.getKey().startsWith("handshake")) {
                    continue;
                }
                List<String> all = new ArrayList<>(List.of("relay"));
                all.addAll(peers);
                out.append("| ").append(cell.getKey());
                out.append(" | ").append(each(cell.getValue(), all, "rate"));
                for (String p : peers) {
                    out.append(" | **").append(ratioOrDash(relay, cell.getValue().get(p), "rate")).append("**");
                }
                out.append(" | ").append(each(cell.getValue(), all, "delivered_rate"));
                for (String p : peers) {
                    out.append(" | ").append(ratioOrDash(relay, cell.getValue().get(p), "delivered_rate"));
                }
                for (String key : List.of("p50_ms", "p99_ms", "cpu_ms_per_msg", "pss_peak_mb")) {
                    out.append(" | ").append(each(cell.getValue(), all, key));
                }
                out.append(" |\n");
            }
            return out.toString();
        }

        /** The relay's PostgreSQL work per accepted message (250), from the window's deltas. */
        static String postgres(Map<String, Map<String, Map<String, Map<String, String>>>> byCell) {
            StringBuilder out = new StringBuilder("\nThe relay's PostgreSQL per accepted message (deltas over the window ÷ the 250s in it; "
                + "pg_stat_wal, pg_stat_database.xact_commit of the relay's database, write transactions = transaction ids "
                + "assigned). An accept is 1 round trip and 1 commit by design; a delivery 1 commit (record sent + row deleted) "
                + "plus its share of a lease query. WAL syncs/msg below the commits/msg is group commit.\n\n"
                + "| cell | msg/s | delivered msg/s | WAL syncs/msg | WAL writes/msg | WAL KiB/msg | xacts/msg | write xacts/msg | queue rows start→end |\n"
                + "|---|---|---|---|---|---|---|---|---|\n");
            boolean any = false;
            for (var cell : byCell.entrySet()) {
                Map<String, Map<String, String>> relay = cell.getValue().get("relay");
                if (relay == null || relay.values().stream().noneMatch(r -> r.containsKey("wal_sync_per_msg"))) {
                    continue;
                }
                any = true;
                Collection<Map<String, String>> rows = relay.values();
                out.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |%n", cell.getKey(),
                    fmt(median(rows, "rate")), fmt(median(rows, "delivered_rate")), fmt3(median(rows, "wal_sync_per_msg")),
                    fmt3(median(rows, "wal_write_per_msg")), fmt(median(rows, "wal_bytes_per_msg")), fmt3(median(rows, "xact_commit_per_msg")),
                    fmt3(median(rows, "write_xacts_per_msg")), queue(rows)));
            }
            return any ? out.toString() : "";
        }

        static String each(Map<String, Map<String, Map<String, String>>> cell, List<String> servers, String key) {
            return servers.stream().map(s -> cell.get(s) == null ? "–" : fmt(median(cell.get(s).values(), key)))
                .reduce((a, b) -> a + " / " + b).orElse("–");
        }

        static String ratioOrDash(Map<String, Map<String, String>> relay, Map<String, Map<String, String>> peer, String key) {
            return peer == null ? "–" : fmt(ratio(relay, peer, key));
        }

        /** Per repetition "start→end", medians of both. */
        static String queue(Collection<Map<String, String>> rows) {
            double a = median(rows, "queue_start");
            double b = median(rows, "queue_end");
            return Double.isNaN(a) || Double.isNaN(b) ? "–" : fmt(a) + "→" + fmt(b);
        }

        static String fmt3(double v) {
            return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.3f", v);
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
                if (rep.getValue().get(key) == null || other.get(key) == null) {
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
