package dev.krafter.relay.db;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.SocketFactory;

/**
 * A pgjdbc {@code socketFactory} for the relay's own connection pool (add
 * {@code ?socketFactory=dev.krafter.relay.db.WireRoundTrips} to KRAFTER_DB_URL of an in-process
 * relay): counts client→server round trips — a write that follows a read starts a new one — by the
 * kind of thread that waits for them: {@code smtp} for the SMTP server's threads (the I/O loops
 * {@code smtps-io-*} and the executors {@code smtps-*}, where AUTH and the end-of-DATA hook run),
 * {@code other} for the rest (spooler, delivery, pool).
 */
public final class WireRoundTrips extends SocketFactory {
    private static final Map<String, AtomicLong> ROUND_TRIPS = new ConcurrentHashMap<>();

    /** Round trips so far by the SMTP server's threads. */
    public static long smtp() {
        return ROUND_TRIPS.computeIfAbsent("smtp", k -> new AtomicLong()).get();
    }

    /** Round trips so far by every other thread. */
    public static long other() {
        return ROUND_TRIPS.computeIfAbsent("other", k -> new AtomicLong()).get();
    }

    /** Round trips so far by all threads. */
    public static long total() {
        return smtp() + other();
    }

    private static void count() {
        String kind = Thread.currentThread().getName().startsWith("smtps-") ? "smtp" : "other";
        ROUND_TRIPS.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
    }

    @Override
    public Socket createSocket() {
        return new Socket() {
            private volatile boolean readSinceWrite = true;

            @Override
            public InputStream getInputStream() throws IOException {
                return new FilterInputStream(super.getInputStream()) {
                    @Override
                    public int read() throws IOException {
                        readSinceWrite = true;
                        return super.read();
                    }

                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        readSinceWrite = true;
                        return super.read(b, off, len);
                    }
                };
            }

            @Override
            public OutputStream getOutputStream() throws IOException {
                return new FilterOutputStream(super.getOutputStream()) {
                    @Override
                    public void write(int b) throws IOException {
                        started();
                        out.write(b);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        started();
                        out.write(b, off, len);
                    }

                    private void started() {
                        if (readSinceWrite) {
                            readSinceWrite = false;
                            count();
                        }
                    }
                };
            }
        };
    }

    @Override
    public Socket createSocket(String host, int port) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Socket createSocket(InetAddress host, int port) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) {
        throw new UnsupportedOperationException();
    }
}
