package dev.krafter.relay.reliability;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

import dev.krafter.relay.server.RelayFixture;

/** One relay for the whole class, started with its defaults, and one API key of tenant {@code acme}. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class RelayWithKey {
    protected RelayFixture relay;
    protected String key;

    @BeforeAll
    void startRelay() throws Exception {
        relay = RelayFixture.start();
        key = relay.newKey("acme");
    }

    @AfterAll
    void stopRelay() throws Exception {
        if (relay != null) {
            relay.close();
        }
    }
}
