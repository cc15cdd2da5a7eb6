package dev.krafter.relay.reliability;

import java.util.Map;

/** The same probes with KRAFTER_TLS_PROVIDER=jdk: the JDK's TLS, where netty-tcnative does not load. */
class TlsProbeJdkTest extends TlsProbeTest {
    @Override
    Map<String, String> environment() {
        return Map.of("KRAFTER_TLS_PROVIDER", "jdk");
    }

    @Override
    String expectedImplementation() {
        return "JDK";
    }
}
