package dev.krafter.relay.policy;

import static dev.krafter.relay.policy.PolicyHarness.FROM;
import static dev.krafter.relay.policy.PolicyHarness.emailId;
import static dev.krafter.relay.policy.PolicyHarness.message;
import static dev.krafter.relay.policy.PolicyHarness.record;
import static dev.krafter.relay.policy.PolicyHarness.records;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import java.util.UUID;

import javax.sql.DataSource;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.krafter.relay.emails.EmailRecord;
import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.server.RelayFixture;
import dev.krafter.relay.server.SmtpsClient;

/** End to end: the sandbox rules through a real relay and PostgreSQL (the concurrent cap: {@link SandboxCapConcurrencyTest}). */
class SandboxEndToEndTest {
    private static final String DEV = "dev@acme.test";
    private static final String QA = "qa@acme.test";
    private static final Set<String> BOTH = Set.of("transactional", "broadcast");

    private static RelayFixture relay;
    private static DataSource db;

    @BeforeAll
    static void start() throws Exception {
        relay = RelayFixture.start();
        db = relay.database().database().dataSource();
    }

    @AfterAll
    static void stop() throws Exception {
        relay.close();
    }

    /** A sandbox account with this allow-list and cap, and a fresh key of it (never authenticated yet). */
    static String sandboxKey(String account, Set<String> allowList, int cap) {
        relay.keys().setSandbox(account, new ApiKey.Sandbox(true, allowList, cap));
        return relay.keys().create(account, Set.of(ApiKey.SEND_SCOPE), BOTH, true).secret().value();
    }

    @Test
    void recipientsOutsideTheAllowListAndExtraRecipientsAreRefusedAtRcptOnly() throws Exception {
        String key = sandboxKey("sbx-rcpt", Set.of(DEV, "QA@Acme.test"), 100);
        assertThat(key).startsWith("kr_test_");
        UUID first;
        UUID second;
        try (SmtpsClient smtp = relay.connect().login(key)) {
            assertThat(smtp.command("MAIL FROM:<" + FROM + ">")).startsWith("250");
            assertThat(smtp.command("RCPT TO:<stranger@example.com>"))
                .isEqualTo("550 5.7.1 sandbox accounts may only send to allow-listed recipients: stranger@example.com");
            // only that recipient is refused; allow-list matching ignores case
            assertThat(smtp.command("RCPT TO:<Dev@ACME.test>")).startsWith("250");
            assertThat(smtp.command("RCPT TO:<qa@acme.test>"))
                .isEqualTo("550 5.7.1 sandbox accounts may only send to one recipient per message");
            assertThat(smtp.command("RCPT TO:<other@example.com>"))
                .isEqualTo("550 5.7.1 sandbox accounts may only send to allow-listed recipients: other@example.com");
            assertThat(smtp.command("DATA")).startsWith("354");
            first = emailId(smtp.data(message("sandbox one")));

            // the next transaction counts its recipients afresh, also after RSET
            assertThat(smtp.command("MAIL FROM:<" + FROM + ">")).startsWith("250");
            assertThat(smtp.command("RCPT TO:<" + DEV + ">")).startsWith("250");
            assertThat(smtp.command("RSET")).startsWith("250");
            second = emailId(smtp.send(FROM, List.of(QA), message("sandbox two", "X-Krafter-Stream: broadcast")));

            // a transaction whose only recipient was refused has nothing to send
            assertThat(smtp.command("MAIL FROM:<" + FROM + ">")).startsWith("250");
            assertThat(smtp.command("RCPT TO:<stranger@example.com>")).startsWith("550 5.7.1 sandbox accounts may only send to allow-listed");
            assertThat(smtp.command("DATA")).startsWith("503");
            assertThat(smtp.command("RSET")).startsWith("250");

            // the stream rules apply to sandbox accounts too
            assertThat(smtp.send(FROM, List.of(DEV), message("bad", "X-Krafter-Stream: promo")))
                .isEqualTo("550 5.7.1 unknown stream: promo");
        }

        EmailRecord one = record(db, first);
        // (James lower-cases the domain of an address; the local part stays as the client wrote it)
        assertThat(one.envelopeTo()).containsExactly("Dev@acme.test");
        EmailRecord two = record(db, second);
        assertThat(two.envelopeTo()).containsExactly(QA);
        assertThat(two.stream()).isEqualTo("broadcast");
        assertThat(records(db, "sbx-rcpt")).isEqualTo(2);
    }

    @Test
    void theRollingCapRefusesOnceReachedAndCountsTheLast24Hours() throws Exception {
        String account = "sbx-cap";
        String key = sandboxKey(account, Set.of(DEV), 3);
        String otherKeyOfTheAccount = relay.keys().create(account, Set.of(ApiKey.SEND_SCOPE), BOTH, true).secret().value();
        String capText3 = "550 5.7.1 sandbox accounts may send at most 3 emails per rolling 24 hours; the limit is reached";
        try (SmtpsClient smtp = relay.connect().login(key)) {
            for (int i = 1; i <= 3; i++) {
                assertThat(smtp.send(FROM, List.of(DEV), message("cap " + i))).as("send " + i).startsWith("250 2.0.0 OK id=");
            }
            // the cap is checked at the end of DATA: RCPT still says 250
            assertThat(smtp.command("MAIL FROM:<" + FROM + ">")).startsWith("250");
            assertThat(smtp.command("RCPT TO:<" + DEV + ">")).startsWith("250");
            assertThat(smtp.command("DATA")).startsWith("354");
            assertThat(smtp.data(message("cap 4"))).isEqualTo(capText3);
            // the connection goes on, and the answer stays the same
            assertThat(smtp.send(FROM, List.of(DEV), message("cap 5", "X-Krafter-Stream: broadcast"))).isEqualTo(capText3);
        }
        // the cap is the account's: every key of it counts against the same 3
        try (SmtpsClient smtp = relay.connect().login(otherKeyOfTheAccount)) {
            assertThat(smtp.send(FROM, List.of(DEV), message("other key"))).isEqualTo(capText3);
        }
        // other accounts are not affected
        try (SmtpsClient smtp = relay.connect().login(relay.newKey("not-sandboxed"))) {
            assertThat(smtp.send(FROM, List.of("anyone@example.com"), message("free"))).startsWith("250 2.0.0 OK id=");
        }
        assertThat(records(db, account)).isEqualTo(3);

        try (SmtpsClient smtp = relay.connect().login(key)) {
            // rolling, not a calendar day: 23 h 59 min old sends still count …
            PolicyHarness.execute(db, "UPDATE emails SET created_at = now() - interval '23 hours 59 minutes' WHERE account_id = ?", account);
            assertThat(smtp.send(FROM, List.of(DEV), message("cap 6"))).isEqualTo(capText3);
            // … and one that is 24 h 1 min old has left the window: exactly one more send fits
            PolicyHarness.execute(db, "UPDATE emails SET created_at = now() - interval '24 hours 1 minute' "
                + "WHERE id = (SELECT id FROM emails WHERE account_id = ? ORDER BY created_at, id LIMIT 1)", account);
            assertThat(smtp.send(FROM, List.of(DEV), message("cap 7"))).startsWith("250 2.0.0 OK id=");
            assertThat(smtp.send(FROM, List.of(DEV), message("cap 8"))).isEqualTo(capText3);

            // the cap is read from the account row at send time, not from the key cached at AUTH
            relay.keys().setSandbox(account, new ApiKey.Sandbox(true, Set.of(DEV), 5));
            assertThat(smtp.send(FROM, List.of(DEV), message("cap 9"))).startsWith("250 2.0.0 OK id=");
            assertThat(smtp.send(FROM, List.of(DEV), message("cap 10"))).startsWith("250 2.0.0 OK id=");
            assertThat(smtp.send(FROM, List.of(DEV), message("cap 11")))
                .isEqualTo("550 5.7.1 sandbox accounts may send at most 5 emails per rolling 24 hours; the limit is reached");
            // and an account taken out of the sandbox is no longer capped, even on this connection
            relay.keys().setSandbox(account, new ApiKey.Sandbox(false, Set.of(DEV), 5));
            assertThat(smtp.send(FROM, List.of(DEV), message("cap 12"))).startsWith("250 2.0.0 OK id=");
        }
        assertThat(records(db, account)).isEqualTo(7);
    }
}
