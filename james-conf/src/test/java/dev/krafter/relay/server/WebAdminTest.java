package dev.krafter.relay.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.emails.EmailRecords;
import dev.krafter.relay.policy.MessageFacts;
import dev.krafter.relay.policy.ResolvedPolicy;
import dev.krafter.relay.emails.DeliveryRecords;

/**
 * The admin routes over James's WebAdmin against a real relay — real HTTP, real
 * PostgreSQL, the effects checked over real SMTPS.
 */
class WebAdminTest {
    static final String TOKEN = "test-admin-token-" + UUID.randomUUID();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static final byte[] MESSAGE = ("From: hello@yourdomain.com\r\nTo: dev@acme.test\r\nSubject: admin\r\n\r\n"
        + "Hello.\r\n").getBytes(StandardCharsets.US_ASCII);

    private static RelayFixture relay;

    @BeforeAll
    static void start() throws Exception {
        relay = RelayFixture.start(Map.of("KRAFTER_ADMIN_TOKEN", TOKEN, "KRAFTER_ADMIN_PORT", "0"));
    }

    @AfterAll
    static void stop() throws Exception {
        relay.close();
    }

    record Reply(int status, String body, HttpResponse<String> raw) {
        JsonNode json() throws Exception {
            return JSON.readTree(body);
        }
    }

    static Reply call(String method, String path, String body, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + relay.adminPort().orElseThrow() + path))
            .timeout(Duration.ofSeconds(20))
            .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(response.statusCode(), response.body(), response);
    }

    static Reply call(String method, String path, String body) throws Exception {
        return call(method, path, body, "Bearer " + TOKEN);
    }

    @Test
    void listensOnLoopbackOnlyAndRefusesEveryRouteWithoutTheToken() throws Exception {
        String port = String.format(":%04X ", relay.adminPort().orElseThrow());
        // /proc/net/tcp{,6}: local address (hex; 127.0.0.1 is 0100007F, as ::ffff:127.0.0.1 in tcp6), state 0A = LISTEN.
        List<String> listening = new java.util.ArrayList<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Files.readAllLines(Path.of(table)).stream().map(line -> line.trim().split("\\s+"))
                .filter(fields -> fields[1].endsWith(port.strip()) && fields[3].equals("0A"))
                .forEach(fields -> listening.add(fields[1]));
        }
        assertThat(listening).isNotEmpty().allMatch(address -> address.endsWith("0100007F" + port.strip()), "loopback");
        for (String[] route : List.of(new String[] {"GET", "/krafter/keys"}, new String[] {"POST", "/krafter/keys"},
            new String[] {"DELETE", "/krafter/keys/1"}, new String[] {"PATCH", "/krafter/accounts/acme/sandbox"},
            new String[] {"GET", "/krafter/emails/" + UUID.randomUUID()}, new String[] {"GET", "/metrics"},
            new String[] {"GET", "/tasks"})) {
            String body = route[0].equals("GET") || route[0].equals("DELETE") ? null : "{\"account\":\"x\"}";
            Reply none = call(route[0], route[1], body, null);
            Reply wrong = call(route[0], route[1], body, "Bearer " + TOKEN + "x");
            Reply basic = call(route[0], route[1], body, "Basic " + TOKEN);
            assertThat(none.status()).as("no token: %s %s", route[0], route[1]).isEqualTo(401);
            assertThat(wrong.status()).as("wrong token: %s %s", route[0], route[1]).isEqualTo(401);
            assertThat(none.raw().headers().firstValue("WWW-Authenticate")).contains("Bearer realm=\"krafter-relay\"");
            assertThat(none.json().get("message").asText()).isEqualTo("send Authorization: Bearer <KRAFTER_ADMIN_TOKEN>");
            assertThat(basic.status()).isEqualTo(401);
        }
        // James's health check is public by design (liveness probes); it reports component health only.
        Reply health = call("GET", "/healthcheck", null, null);
        assertThat(health.status()).as(health.body()).isEqualTo(200);
        assertThat(health.json().get("status").asText()).isEqualTo("healthy");
        assertThat(relay.keys().list()).noneMatch(key -> key.accountId().equals("x"));
    }

    @Test
    void keyCreatedOverHttpSendsOverSmtpAndRevokedOverHttpGets535WithinTheWindow() throws Exception {
        Reply created = call("POST", "/krafter/keys",
            "{\"account\":\"http-acme\",\"scopes\":[\"mail:send\"],\"allowed_streams\":[\"transactional\"]}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        assertThat(created.raw().headers().firstValue("Cache-Control")).contains("no-store");
        JsonNode key = created.json();
        String secret = key.get("key").asText();
        assertThat(secret).startsWith("kr_live_").hasSize(48);
        assertThat(key.get("prefix").asText()).isEqualTo(secret.substring(0, 12));
        assertThat(key.get("account").asText()).isEqualTo("http-acme");
        assertThat(key.get("allowed_streams").toString()).isEqualTo("[\"transactional\"]");
        assertThat(key.get("state").asText()).isEqualTo("active");

        String reply;
        try (SmtpsClient smtp = relay.connect()) {
            reply = smtp.login(secret).send("hello@yourdomain.com", List.of("dev@acme.test"), MESSAGE);
        }
        assertThat(reply).startsWith("250 2.0.0 OK id=");

        Reply listed = call("GET", "/krafter/keys?account=http-acme", null);
        assertThat(listed.status()).isEqualTo(200);
        assertThat(listed.json()).hasSize(1);
        assertThat(listed.json().get(0).get("id").asLong()).isEqualTo(key.get("id").asLong());
        assertThat(listed.body()).doesNotContain(secret).doesNotContain("\"key\"");

        Reply revoked = call("DELETE", "/krafter/keys/" + key.get("prefix").asText(), null);
        assertThat(revoked.status()).as(revoked.body()).isEqualTo(200);
        assertThat(revoked.json().get("state").asText()).isEqualTo("revoked");
        // The relay that took the revocation dropped its key cache: the very next AUTH is refused.
        try (SmtpsClient smtp = relay.connect()) {
            smtp.ehlo();
            assertThat(smtp.authPlain("apikey", secret)).isEqualTo("535 5.7.8 Authentication failed: API key has been revoked");
        }

        assertThat(call("DELETE", "/krafter/keys/" + key.get("id").asLong(), null).status()).isEqualTo(200);
        Reply missing = call("DELETE", "/krafter/keys/kr_live_None", null);
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.json().get("type").asText()).isEqualTo("notFound");
        assertThat(missing.json().get("message").asText()).isEqualTo("no API key with id or prefix kr_live_None");
    }

    /**
     * James's WebAdmin logs each request and response body at INFO with MDC fields (off in the
     * shipped logback.xml). Even with that logger on, neither the created key nor the token shows.
     */
    @Test
    void createdKeyAndTokenNeverReachTheLogEvenWithWebAdminRequestLoggingOn() throws Exception {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger webadmin = context.getLogger("org.apache.james.webadmin");
        Logger krafter = context.getLogger("dev.krafter");
        Level before = webadmin.getLevel();
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.start();
        webadmin.setLevel(Level.DEBUG);
        webadmin.addAppender(captured);
        krafter.addAppender(captured);
        String secret;
        try {
            Reply created = call("POST", "/krafter/keys", "{\"account\":\"log-check\"}");
            assertThat(created.status()).isEqualTo(201);
            secret = created.json().get("key").asText();
            assertThat(call("GET", "/krafter/keys?account=log-check", null).status()).isEqualTo(200);
        } finally {
            webadmin.detachAppender(captured);
            krafter.detachAppender(captured);
            webadmin.setLevel(before);
        }
        String logged = captured.list.stream()
            .map(event -> event.getFormattedMessage() + " " + event.getMDCPropertyMap())
            .reduce("", (a, b) -> a + "\n" + b);
        assertThat(logged).contains("WebAdmin response received", "created API key").contains(secret.substring(0, 12));
        assertThat(logged).doesNotContain(secret).doesNotContain(TOKEN);
    }

    @Test
    void badRequestsGetA400NamingTheField() throws Exception {
        Map<String, String> cases = Map.of(
            "{\"account\":\"acme\",\"allowed_streams\":[\"promo\"]}",
            "allowed_streams: unknown stream 'promo' (known: [transactional, broadcast])",
            "{\"scopes\":[\"mail:send\"]}", "account is required",
            "{\"account\":\"acme\",\"scope\":[\"mail:send\"]}",
            "unknown field 'scope' (fields: ",
            "{\"account\":\"acme\",\"scopes\":\"mail:send\"}", "scopes must be an array of strings",
            "[1,2]", "the body must be a JSON object",
            "{\"account\":", "the body is not valid JSON",
            "{\"account\":\"a b\"}", "account: 'a b' is not an account id");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Reply reply = call("POST", "/krafter/keys", c.getKey());
            assertThat(reply.status()).as(c.getKey()).isEqualTo(400);
            assertThat(reply.json().get("type").asText()).isEqualTo("InvalidArgument");
            assertThat(reply.json().get("message").asText()).as(c.getKey()).startsWith(c.getValue());
        }
        Reply badId = call("GET", "/krafter/emails/not-a-uuid", null);
        assertThat(badId.status()).isEqualTo(400);
        assertThat(badId.json().get("message").asText()).contains("is not an email id");
        Reply unknown = call("GET", "/krafter/emails/" + UUID.randomUUID(), null);
        assertThat(unknown.status()).isEqualTo(404);
    }

    @Test
    void aPrefixSharedByTwoActiveKeysIsA409AndNothingIsRevoked() throws Exception {
        long first = relay.newKey("shared-prefix", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional")).key().id();
        long second = relay.newKey("shared-prefix", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional")).key().id();
        try (var c = relay.database().database().dataSource().getConnection();
             var update = c.prepareStatement("UPDATE api_keys SET prefix = 'kr_live_Same' WHERE account_id = 'shared-prefix'")) {
            update.executeUpdate();
        }
        Reply ambiguous = call("DELETE", "/krafter/keys/kr_live_Same", null);
        assertThat(ambiguous.status()).isEqualTo(409);
        assertThat(ambiguous.json().get("message").asText())
            .isEqualTo("prefix kr_live_Same names 2 active keys (ids [" + first + ", " + second + "]); revoke by id");
        assertThat(relay.keys().list("shared-prefix")).noneMatch(ApiKey::revoked);
        assertThat(call("DELETE", "/krafter/keys/" + second, null).status()).isEqualTo(200);
        Reply last = call("DELETE", "/krafter/keys/kr_live_Same", null);
        assertThat(last.json().get("id").asLong()).isEqualTo(first);
        assertThat(relay.keys().list("shared-prefix")).allMatch(ApiKey::revoked);
    }

    @Test
    void sandboxSetOverHttpIsRefusedAtRcptOverSmtp() throws Exception {
        String secret = relay.newKey("http-sandbox");
        try (SmtpsClient smtp = relay.connect()) {
            assertThat(smtp.login(secret).send("hello@yourdomain.com", List.of("stranger@example.com"), MESSAGE))
                .startsWith("250 ");
        }

        Reply set = call("PATCH", "/krafter/accounts/http-sandbox/sandbox",
            "{\"sandbox\":true,\"allowed_recipients\":[\"dev@acme.test\"],\"daily_cap\":10}");
        assertThat(set.status()).as(set.body()).isEqualTo(200);
        assertThat(set.json().toString()).isEqualTo(
            "{\"account\":\"http-sandbox\",\"sandbox\":true,\"allowed_recipients\":[\"dev@acme.test\"],\"daily_cap\":10}");

        // The key cache was dropped with the change: the very next session has the sandbox.
        try (SmtpsClient smtp = relay.connect()) {
            smtp.login(secret);
            assertThat(smtp.command("MAIL FROM:<hello@yourdomain.com>")).startsWith("250");
            assertThat(smtp.command("RCPT TO:<stranger@example.com>"))
                .isEqualTo("550 5.7.1 sandbox accounts may only send to allow-listed recipients: stranger@example.com");
        }
        try (SmtpsClient smtp = relay.connect()) {
            assertThat(smtp.login(secret).send("hello@yourdomain.com", List.of("dev@acme.test"), MESSAGE)).startsWith("250 ");
        }

        // Parts left out keep their value: off and on again keeps the allow-list and the cap.
        assertThat(call("PATCH", "/krafter/accounts/http-sandbox/sandbox", "{\"sandbox\":false}").json().get("daily_cap").asInt())
            .isEqualTo(10);
        Reply on = call("PUT", "/krafter/accounts/http-sandbox/sandbox", "{\"sandbox\":true}");
        assertThat(on.json().get("allowed_recipients").toString()).isEqualTo("[\"dev@acme.test\"]");
        assertThat(call("GET", "/krafter/accounts/http-sandbox/sandbox", null).json().get("sandbox").asBoolean()).isTrue();

        Reply unknown = call("PATCH", "/krafter/accounts/no-such-account/sandbox", "{\"sandbox\":true}");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().get("message").asText())
            .isEqualTo("no account no-such-account (an account is created with its first API key)");
        assertThat(call("PATCH", "/krafter/accounts/http-sandbox/sandbox", "{\"daily_cap\":-1}").status()).isEqualTo(400);
        assertThat(call("PATCH", "/krafter/accounts/http-sandbox/sandbox", "{\"allowed_recipients\":[\"nobody\"]}").json()
            .get("message").asText()).isEqualTo("allowed_recipients: 'nobody' is not an email address");
        assertThat(call("PATCH", "/krafter/accounts/http-sandbox/sandbox", "{}").status()).isEqualTo(400);
    }

    @Test
    void emailLookupAfterASendShowsStatusSesMessageIdAndError() throws Exception {
        String secret = relay.newKey("http-emails");
        String reply;
        try (SmtpsClient smtp = relay.connect()) {
            reply = smtp.login(secret).send("hello@yourdomain.com", List.of("dev@acme.test"), MESSAGE);
        }
        assertThat(reply).startsWith("250 2.0.0 OK id=");
        String id = reply.substring("250 2.0.0 OK id=".length()).strip();

        JsonNode email;
        long sentAt = System.nanoTime();
        do {
            Reply lookup = call("GET", "/krafter/emails/" + id, null);
            assertThat(lookup.status()).as(lookup.body()).isEqualTo(200);
            email = lookup.json();
        } while (email.get("status").asText().equals("queued") && System.nanoTime() - sentAt < Duration.ofSeconds(20).toNanos()
            && sleep());
        assertThat(email.get("id").asText()).isEqualTo(id);
        assertThat(email.get("status").asText()).isEqualTo("sent");
        assertThat(email.get("ses_message_id").asText()).isEqualTo("outbox-" + id); // the outbox's stand-in id
        assertThat(email.get("error").isNull()).isTrue();
        assertThat(email.get("stream").asText()).isEqualTo("transactional");
        assertThat(email.get("account").asText()).isEqualTo("http-emails");
        assertThat(email.get("envelope_to").toString()).isEqualTo("[\"dev@acme.test\"]");
        assertThat(email.get("created_at").asText()).isNotBlank();
        assertThat(email.get("sent_at").asText()).isNotBlank();

        // A failed delivery shows its error (the record written as the SES leg would, without a message to deliver).
        var db = relay.database().database().dataSource();
        java.util.UUID failedId = new dev.krafter.relay.emails.EmailRows(db).insertQueued("broadcast");
        new DeliveryRecords(db).markFailed(failedId, "MessageRejected: Email address is not verified.");
        JsonNode failed = call("GET", "/krafter/emails/" + failedId, null).json();
        assertThat(failed.get("status").asText()).isEqualTo("failed");
        assertThat(failed.get("error").asText()).isEqualTo("MessageRejected: Email address is not verified.");
        assertThat(failed.get("ses_message_id").isNull()).isTrue();
    }

    /** The curl lines of docs/operations.md ("Administration"), with the port of this relay. */
    @Test
    void theDocumentedCurlCommandsWork() throws Exception {
        String base = "http://127.0.0.1:" + relay.adminPort().orElseThrow();
        String admin = "admin() { curl -sS -H \"Authorization: Bearer $KRAFTER_ADMIN_TOKEN\" -H \"Content-Type: application/json\" \"$@\"; }; ";
        // the commands below are the documented ones, with account curl-acme for acme and this relay's port for 8000
        String operations = Files.readString(dev.krafter.relay.db.TestDatabase.repositoryRoot().resolve("docs/operations.md"));
        assertThat(operations).contains(admin.substring(0, admin.length() - 2),
            "admin -X POST http://127.0.0.1:8000/krafter/keys \\\n  -d '{\"account\": \"acme\", \"scopes\": [\"mail:send\"], \"allowed_streams\": [\"transactional\"], \"sandbox\": false}'",
            "admin 'http://127.0.0.1:8000/krafter/keys?account=acme'",
            "admin -X PATCH http://127.0.0.1:8000/krafter/accounts/acme/sandbox \\\n  -d '{\"sandbox\": true, \"allowed_recipients\": [\"dev@acme.com\", \"qa@acme.com\"], \"daily_cap\": 100}'",
            "admin -X DELETE http://127.0.0.1:8000/krafter/keys/kr_live_AbC1");
        Map<String, String> env = Map.of("KRAFTER_ADMIN_TOKEN", TOKEN);
        Clients.Result create = Clients.run(Duration.ofSeconds(30), env, "bash", "-c", admin + "admin -X POST " + base + "/krafter/keys "
            + "-d '{\"account\": \"curl-acme\", \"scopes\": [\"mail:send\"], \"allowed_streams\": [\"transactional\"], \"sandbox\": false}'");
        assertThat(create.exitCode()).as(create.output()).isZero();
        JsonNode key = JSON.readTree(create.output());
        assertThat(key.get("key").asText()).startsWith("kr_live_");
        Clients.Result list = Clients.run(Duration.ofSeconds(30), env, "bash", "-c", admin + "admin '" + base + "/krafter/keys?account=curl-acme'");
        assertThat(JSON.readTree(list.output()).get(0).get("prefix").asText()).isEqualTo(key.get("prefix").asText());
        Clients.Result sandbox = Clients.run(Duration.ofSeconds(30), env, "bash", "-c", admin + "admin -X PATCH " + base
            + "/krafter/accounts/curl-acme/sandbox -d '{\"sandbox\": true, \"allowed_recipients\": [\"dev@acme.com\", \"qa@acme.com\"], \"daily_cap\": 100}'");
        assertThat(JSON.readTree(sandbox.output()).get("daily_cap").asInt()).as(sandbox.output()).isEqualTo(100);
        Clients.Result revoke = Clients.run(Duration.ofSeconds(30), env, "bash", "-c", admin + "admin -X DELETE " + base
            + "/krafter/keys/" + key.get("prefix").asText());
        assertThat(JSON.readTree(revoke.output()).get("state").asText()).as(revoke.output()).isEqualTo("revoked");
        // Without the JSON content type curl -d sends a form, which Jetty reads as parameters: a clear 415.
        Clients.Result form = Clients.run(Duration.ofSeconds(30), env, "bash", "-c", "curl -sS -H \"Authorization: Bearer $KRAFTER_ADMIN_TOKEN\" -X POST "
            + base + "/krafter/keys -d '{\"account\": \"curl-form\"}'");
        assertThat(JSON.readTree(form.output()).get("message").asText()).as(form.output())
            .isEqualTo("send the body as JSON, with Content-Type: application/json");
        assertThat(relay.keys().list("curl-form")).isEmpty();
    }

    @Test
    void metricsArePrometheusTextWithJamesSmtpMetrics() throws Exception {
        try (SmtpsClient smtp = relay.connect()) {
            smtp.ehlo();
        }
        Reply metrics = call("GET", "/metrics", null);
        assertThat(metrics.status()).isEqualTo(200);
        assertThat(metrics.raw().headers().firstValue("Content-Type").orElse("")).startsWith("text/plain; version=0.0.4");
        assertThat(metrics.body()).contains("# TYPE SMTP_ehlo summary").containsPattern("(?m)^SMTP_ehlo_count [1-9]")
            .contains("smtpConnections_total", "krafter_queue_depth", "jvm_memory_heap_used")
            // James's own queue-size gauge would ask the broker over JMS at every scrape: not registered.
            .doesNotContain("mailQueueSize");
    }

    private static boolean sleep() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return true;
    }
}
