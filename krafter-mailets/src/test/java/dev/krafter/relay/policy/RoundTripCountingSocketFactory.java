package dev.krafter.relay.policy;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.SocketFactory;

/**
 * pgjdbc {@code socketFactory} that counts client→server round trips: a write that follows a read
 * starts a new one. This is what the event loop waits for, whatever the number of SQL statements.
 */
public final class RoundTripCountingSocketFactory extends SocketFactory {
    static final AtomicInteger ROUND_TRIPS = new AtomicInteger();

    @Override
    public Socket createSocket() {
        return new Socket() {
            private boolean readSinceWrite = true;

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
                        count();
                        out.write(b);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        count();
                        out.write(b, off, len);
                    }

                    private void count() {
                        if (readSinceWrite) {
                            ROUND_TRIPS.incrementAndGet();
                            readSinceWrite = false;
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
