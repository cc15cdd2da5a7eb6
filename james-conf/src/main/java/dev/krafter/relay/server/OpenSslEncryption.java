package dev.krafter.relay.server;

import java.io.InputStream;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;

import org.apache.james.filesystem.api.FileSystem;
import org.apache.james.protocols.api.ClientAuth;
import org.apache.james.protocols.lib.SslConfig;
import org.apache.james.protocols.netty.Encryption;

import io.netty.buffer.PooledByteBufAllocator;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import nl.altindag.ssl.util.PemUtils;

/**
 * Implicit TLS through BoringSSL (netty-tcnative) instead of the JDK's SSLEngine, from the same
 * PEM files, protocols and cipher suites as James's own context. The key and chain are set on
 * the native context once, so a handshake does not go through a Java key manager.
 */
final class OpenSslEncryption implements Encryption {
    private final SslContext context;
    private final String[] cipherSuites;

    private OpenSslEncryption(SslContext context, String[] cipherSuites) {
        this.context = context;
        this.cipherSuites = cipherSuites;
    }

    static OpenSslEncryption create(FileSystem fileSystem, SslConfig tls) throws Exception {
        if (!OpenSsl.isAvailable()) {
            throw new IllegalStateException("KRAFTER_TLS_PROVIDER=openssl, but netty-tcnative cannot load on this platform: "
                + OpenSsl.unavailabilityCause());
        }
        PrivateKey key;
        List<X509Certificate> chain;
        try (InputStream keyPem = fileSystem.getResource(tls.getPrivateKey());
             InputStream certPem = fileSystem.getResource(tls.getCertificates())) {
            key = PemUtils.loadPrivateKey(keyPem);
            chain = PemUtils.loadCertificate(certPem);
        }
        SslContext context = SslContextBuilder.forServer(key, chain.toArray(X509Certificate[]::new))
            .sslProvider(SslProvider.OPENSSL)
            .protocols(tls.getEnabledProtocols())
            .ciphers(tls.getEnabledCipherSuites() == null ? null : Arrays.asList(tls.getEnabledCipherSuites()))
            .build();
        return new OpenSslEncryption(context, tls.getEnabledCipherSuites());
    }

    @Override
    public boolean isStartTLS() {
        return false;
    }

    @Override
    public boolean supportsEncryption() {
        return true;
    }

    @Override
    public String[] getEnabledCipherSuites() {
        return cipherSuites;
    }

    @Override
    public ClientAuth getClientAuth() {
        return ClientAuth.NONE;
    }

    /**
     * An engine in JDK compatibility mode decrypts one TLS record per unwrap. Without it, Netty
     * decrypts all it has read into one direct buffer, and with connections whose executor is
     * behind, those buffers held 70 MB more off-heap than the JDK's TLS at 16 x 1 MiB.
     */
    @Override
    public SslHandler sslHandler() {
        return new SslHandler(context.newEngine(PooledByteBufAllocator.DEFAULT));
    }
}
