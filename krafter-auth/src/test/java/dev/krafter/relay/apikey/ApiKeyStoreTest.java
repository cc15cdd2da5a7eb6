package dev.krafter.relay.apikey;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.krafter.relay.apikey.AuthOutcome.Accepted;
import dev.krafter.relay.apikey.AuthOutcome.Reason;
import dev.krafter.relay.apikey.AuthOutcome.Refused;
import dev.krafter.relay.db.TestDatabase;

class ApiKeyStoreTest {
    private static TestDatabase db;
    private static ApiKeyStore store;

    @BeforeAll
    static void setUp() {
        db = TestDatabase.create();
        store = new ApiKeyStore(db.database().dataSource(), Duration.ZERO);
    }

    @AfterAll
    static void tearDown() {
        db.close();
    }

    @Test
    void keysHaveTheDocumentedFormatAndOnlyTheirHashIsStored() throws Exception {
        NewApiKey live = store.create("acme", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional"), false);
        NewApiKey test = store.create("sandboxed", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional"), true);

        assertThat(live.secret().value()).matches("kr_live_[0-9A-Za-z]{40}");
        assertThat(test.secret().value()).matches("kr_test_[0-9A-Za-z]{40}");
        assertThat(live.key().prefix()).isEqualTo(live.secret().value().substring(0, 12));
        try (Connection c = db.database().dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT * FROM api_keys")) {
            while (rs.next()) {
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                    Object value = rs.getObject(i);
                    assertThat(String.valueOf(value)).doesNotContain(live.secret().value(), test.secret().value());
                }
                assertThat(rs.getBytes("key_hash")).hasSize(32);
            }
        }
    }

    @Test
    void authenticatorTellsWhichRuleRefusedTheKey() {
        ApiKeyAuthenticator auth = new ApiKeyAuthenticator(store);
        NewApiKey good = store.create("acme", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional", "broadcast"), false);
        NewApiKey noScope = store.create("acme", Set.of("domains:read"), Set.of("transactional"), false);
        NewApiKey revoked = store.create("acme", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional"), false);
        store.revoke(String.valueOf(revoked.key().id()));

        assertThat(auth.authenticate("apikey", good.secret().value())).isInstanceOfSatisfying(Accepted.class,
            a -> assertThat(a.key().allowedStreams()).containsExactlyInAnyOrder("transactional", "broadcast"));
        assertThat(auth.authenticate("APIKEY", good.secret().value())).isEqualTo(new Refused(Reason.WRONG_USERNAME));
        assertThat(auth.authenticate("apikey", noScope.secret().value())).isEqualTo(new Refused(Reason.MISSING_SCOPE));
        assertThat(auth.authenticate("apikey", revoked.secret().value())).isEqualTo(new Refused(Reason.REVOKED_KEY));
        assertThat(auth.authenticate("apikey", "kr_live_" + "A".repeat(40))).isEqualTo(new Refused(Reason.UNKNOWN_KEY));
        assertThat(auth.authenticate("apikey", "not a key\0with nul")).isEqualTo(new Refused(Reason.UNKNOWN_KEY));
        assertThat(auth.authenticate("apikey", "")).isEqualTo(new Refused(Reason.EMPTY_KEY));
        assertThat(auth.authenticate("apikey", null)).isEqualTo(new Refused(Reason.EMPTY_KEY));
        assertThat(auth.authenticate("someone@example.com", "")).isEqualTo(new Refused(Reason.WRONG_USERNAME));
    }

    @Test
    void cachedLookupsSeeARevocationOnceTheTtlHasPassed() throws Exception {
        ApiKeyStore cached = new ApiKeyStore(db.database().dataSource(), Duration.ofMillis(300));
        NewApiKey key = store.create("acme", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional"), false);
        assertThat(cached.find(key.secret())).hasValueSatisfying(k -> assertThat(k.revoked()).isFalse());

        store.revoke(key.key().prefix());
        Thread.sleep(400);

        assertThat(cached.find(key.secret())).hasValueSatisfying(k -> assertThat(k.revoked()).isTrue());
    }

    @Test
    void sandboxSettingsTravelWithTheKey() {
        NewApiKey key = store.create("sandbox-co", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional"), true);
        store.setSandbox("sandbox-co", new ApiKey.Sandbox(true, Set.of("dev@sandbox.co"), 5));

        assertThat(store.find(key.secret()).orElseThrow().sandbox())
            .isEqualTo(new ApiKey.Sandbox(true, Set.of("dev@sandbox.co"), 5));
    }
}
