package dev.krafter.relay.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.apikey.ApiKeyStore;
import dev.krafter.relay.db.TestDatabase;
import dev.krafter.relay.server.Clients;
import dev.krafter.relay.server.SmtpsClient;
import dev.krafter.relay.server.RelayProcess;
import dev.krafter.relay.ses.SesStandIn;

/**
 * The distribution as an admin gets it: the .tar.gz Maven assembled, unpacked, started with its own
 * {@code bin/krafter-relay run}; its conf/mailetcontainer.xml edited and the relay restarted; an
 * extension jar (built here from james-conf/src/test/extension, as docs/extending.md builds it)
 * dropped into extensions-jars/; and every kind of pipeline mistake refused at start-up with one
 * paragraph naming the file, the element and the fix.
 */
class DistributionIT {
    private static final Pattern EMAIL_ID = Pattern.compile("250 2\\.0\\.0 OK id=([0-9a-f-]{36})");

    /** The worked example of docs/extending.md, step 3: two edits of conf/mailetcontainer.xml. */
    static final String TRANSPORT_ANCHOR = "            <!-- Your own mailets for every message: here, before the ToProcessor below (docs/extending.md). -->\n";
    static final String TRANSPORT_EXTENSION = TRANSPORT_ANCHOR + """
            <mailet match="All" class="com.acme.relay.RouteSenderDomain"/>
            <mailet match="HasMailAttributeWithValue=krafter.stream,broadcast" class="ToProcessor">
                <processor>broadcast</processor>
            </mailet>
        """;
    static final String PROCESSORS_ANCHOR = "        <!-- Processors of your own: here (docs/extending.md). -->\n";
    static final String BROADCAST_PROCESSOR = PROCESSORS_ANCHOR + """
            <processor state="broadcast" enableJmx="false">
                <mailet match="All" class="com.acme.relay.AddHeader">
                    <name>X-Acme-Campaign</name>
                    <value>spring-sale</value>
                </mailet>
                <mailet match="All" class="ToProcessor">
                    <processor>${sys:krafter.delivery}</processor>
                </mailet>
            </processor>
        """;

    private static TestDatabase database;
    private static Distribution distribution;
    private static Path extensionJar;
    private static String key;

    @BeforeAll
    static void unpack() throws Exception {
        database = TestDatabase.create();
        distribution = Distribution.unpack();
        extensionJar = ExtensionJar.build(distribution.dir().resolve("lib"), Files.createTempDirectory("krafter-extension"));
        key = new ApiKeyStore(database.database().dataSource(), Duration.ZERO)
            .create("acme", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional", "broadcast"), false).secret().value();
    }

    @AfterAll
    static void cleanUp() throws Exception {
        if (distribution != null) {
            distribution.close();
        }
        if (database != null) {
            database.close();
        }
        if (extensionJar != null) {
            Distribution.deleteTree(extensionJar.getParent());
        }
    }

    @BeforeEach
    void asUnpacked() throws Exception {
        distribution.reset();
    }

    private static Map<String, String> db() {
        return Map.of("KRAFTER_DB_URL", database.url(), "KRAFTER_DB_USER", database.user(),
            "KRAFTER_DB_PASSWORD", database.password());
    }

    private static Map<String, String> with(Map<String, String> a, Map<String, String> b) {
        Map<String, String> all = new HashMap<>(a);
        all.putAll(b);
        return all;
    }

    private static String send(RelayProcess relay, String from, String headers) throws Exception {
        byte[] message = ("From: " + from + "\r\nTo: reader@example.com\r\nSubject: distribution test\r\n" + headers
            + "\r\nHello from the distribution.\r\n").getBytes(StandardCharsets.US_ASCII);
        try (SmtpsClient client = SmtpsClient.connect(relay.port(), distribution.certificate()).login(key)) {
            String reply = client.send(from, List.of("reader@example.com"), message);
            Matcher m = EMAIL_ID.matcher(reply);
            assertThat(m.find()).as("reply to DATA: %s", reply).isTrue();
            return m.group(1);
        }
    }

    @Test
    void startsFromItsOwnDirectoryWithTheEmbeddedDefaultsAndWritesToItsOutbox() throws Exception {
        try (RelayProcess relay = distribution.start(db())) {
            assertThat(relay.log()).contains("wrote a self-signed certificate for localhost to " + distribution.dir().resolve("var/tls"))
                .doesNotContain("building");
            assertThat(distribution.certificate()).isRegularFile();
            String id = send(relay, "hello@app.acme.test", "");
            byte[] eml = Clients.awaitOutbox(distribution.outbox(), id);
            assertThat(new String(eml, StandardCharsets.US_ASCII)).contains("Hello from the distribution.");
            Path json = distribution.outbox().resolve(id + ".json");
            for (int i = 0; i < 200 && !Files.exists(json); i++) {
                Thread.sleep(50); // the .json is written after the .eml
            }
            assertThat(json).content().contains("\"ConfigurationSetName\" : \"krafter-transactional\"");
            // The event log, where the shipped logback.xml puts it: the distribution's own var/log.
            Path events = distribution.dir().resolve("var/log/events.jsonl");
            for (int i = 0; i < 200 && !(Files.exists(events) && Files.readString(events).contains("\"delivery.sent\"")); i++) {
                Thread.sleep(50);
            }
            assertThat(events).content().contains("\"event\":\"smtp.accepted\",\"email_id\":\"" + id + "\"",
                "\"event\":\"delivery.sent\",\"email_id\":\"" + id + "\"");
        }
    }

    @Test
    void anAdminsExtensionJarAndEditedPipelineChangeWhatReachesSes() throws Exception {
        try (SesStandIn ses = SesStandIn.accepting()) {
            Map<String, String> env = with(db(), ses.endpointEnv());

            // As unpacked: broadcast mail from news.acme.test leaves with the broadcast configuration set.
            try (RelayProcess relay = distribution.start(env)) {
                SesStandIn.Call before = ses.awaitEmail(send(relay, "news@news.acme.test", "X-Krafter-Stream: broadcast\r\n"), Duration.ofSeconds(20));
                assertThat(before.configurationSet()).isEqualTo("krafter-broadcast");
                assertThat(before.rawText()).doesNotContain("X-Acme-Campaign").contains("List-Unsubscribe:");
            }

            // docs/extending.md: the jar, the Guice module, the routes file, the pipeline; restart.
            Files.copy(extensionJar, distribution.extensionsJars().resolve(extensionJar.getFileName()));
            Files.writeString(distribution.conf("extensions.properties"), "guice.extension.module=com.acme.relay.AcmeModule\n",
                java.nio.file.StandardOpenOption.APPEND);
            Files.writeString(distribution.conf("sender-routes.properties"), "news.acme.test=acme-newsletters\n");
            distribution.edit("mailetcontainer.xml", TRANSPORT_ANCHOR, TRANSPORT_EXTENSION);
            distribution.edit("mailetcontainer.xml", PROCESSORS_ANCHOR, BROADCAST_PROCESSOR);

            try (RelayProcess relay = distribution.start(env)) {
                SesStandIn.Call routed = ses.awaitEmail(send(relay, "news@news.acme.test", "X-Krafter-Stream: broadcast\r\n"), Duration.ofSeconds(20));
                assertThat(routed.configurationSet()).isEqualTo("acme-newsletters");
                assertThat(routed.rawText()).contains("X-Acme-Campaign: spring-sale").contains("List-Unsubscribe:")
                    .doesNotContain("X-Krafter-Stream");

                SesStandIn.Call transactional = ses.awaitEmail(send(relay, "billing@app.acme.test", ""), Duration.ofSeconds(20));
                assertThat(transactional.configurationSet()).isEqualTo("krafter-transactional");
                assertThat(transactional.rawText()).doesNotContain("X-Acme-Campaign");

                SesStandIn.Call otherBroadcast = ses.awaitEmail(send(relay, "promo@app.acme.test", "X-Krafter-Stream: broadcast\r\n"), Duration.ofSeconds(20));
                assertThat(otherBroadcast.configurationSet()).isEqualTo("krafter-broadcast");
                assertThat(otherBroadcast.rawText()).contains("X-Acme-Campaign: spring-sale");
            }
        }
    }

    // ------------------------------------------------------------------ mistakes refused at start-up

    /** Exit 1, one paragraph (no stack trace), naming the file, the element and the fix. */
    private static String refused(String... expected) throws Exception {
        Distribution.Exit exit = distribution.startExpectingFailure(db());
        assertThat(exit.code()).as(exit.output()).isEqualTo(1);
        assertThat(exit.output()).as("no stack trace wall").doesNotContain("\tat ").doesNotContain("Exception in thread");
        assertThat(exit.output()).doesNotContain("listening on");
        String paragraph = exit.output().lines().filter(l -> l.startsWith("krafter-relay: cannot start.")).findFirst()
            .orElseThrow(() -> new AssertionError("no 'krafter-relay: cannot start.' line in:\n" + exit.output()));
        assertThat(paragraph).contains(expected).contains(" Fix: ");
        return paragraph;
    }

    @Test
    void unknownMailetClass() throws Exception {
        distribution.edit("mailetcontainer.xml", "class=\"dev.krafter.relay.mailets.RemoveKrafterHeaders\"",
            "class=\"dev.krafter.relay.mailets.RemoveKrafterHeader\"");
        refused("conf/mailetcontainer.xml, <mailet match=\"All\" class=\"dev.krafter.relay.mailets.RemoveKrafterHeader\"> (line ",
            "in processor \"transport\"", "no mailet class \"dev.krafter.relay.mailets.RemoveKrafterHeader\"",
            "Fix: did you mean dev.krafter.relay.mailets.RemoveKrafterHeaders?");
    }

    @Test
    void unknownMatcherClass() throws Exception {
        distribution.edit("mailetcontainer.xml", TRANSPORT_ANCHOR, TRANSPORT_ANCHOR
            + "            <mailet match=\"com.acme.relay.IsNewsletter\" class=\"ToProcessor\"><processor>error</processor></mailet>\n");
        refused("conf/mailetcontainer.xml, <mailet match=\"com.acme.relay.IsNewsletter\" class=\"ToProcessor\"> (line ",
            "no matcher class \"com.acme.relay.IsNewsletter\"", "extensions-jars has no jar",
            "put the jar that holds it into " + distribution.extensionsJars());
    }

    @Test
    void toProcessorNamingAProcessorThatDoesNotExist() throws Exception {
        distribution.edit("mailetcontainer.xml", TRANSPORT_ANCHOR, TRANSPORT_EXTENSION.replace(
            "<mailet match=\"All\" class=\"com.acme.relay.RouteSenderDomain\"/>\n", ""));
        refused("conf/mailetcontainer.xml, <mailet match=\"HasMailAttributeWithValue=krafter.stream,broadcast\" class=\"ToProcessor\">",
            "<processor>broadcast</processor> sends mail to processor \"broadcast\", and there is no <processor state=\"broadcast\">",
            "Fix: add <processor state=\"broadcast\"> to <processors>, or name one that exists: root, transport, ses, outbox, error.");
    }

    @Test
    void badInitParameterOfAKrafterMailet() throws Exception {
        distribution.edit("mailetcontainer.xml", "<maxRetries>${sys:krafter.ses.maxRetries}</maxRetries>", "<maxRetries>ten</maxRetries>");
        String paragraph = refused("conf/mailetcontainer.xml, <mailet match=\"All\" class=\"dev.krafter.relay.mailets.SesSend\"> (line ",
            "in processor \"ses\"", "James cannot build the mailet: dev.krafter.relay.mailets.SesSend: invalid retry parameters",
            "\"ten\"", "Fix: correct the mailet's init parameters");
        assertThat(paragraph).contains(distribution.dir().resolve("var/start-up-error.log").toString());
        assertThat(distribution.dir().resolve("var/start-up-error.log")).content().contains("\tat ");
    }

    @Test
    void unknownInitParameterOfAKrafterMailet() throws Exception {
        distribution.edit("mailetcontainer.xml", "<names>bcc</names>", "<name>bcc</name>");
        refused("<mailet match=\"All\" class=\"dev.krafter.relay.mailets.RemoveKrafterHeaders\"> (line ",
            "Unexpected init parameters found: [name]");
    }

    @Test
    void attributeMatcherNamingAnAttributeThatDoesNotExist() throws Exception {
        distribution.edit("mailetcontainer.xml", TRANSPORT_ANCHOR, TRANSPORT_ANCHOR
            + "            <mailet match=\"HasMailAttributeWithValue=krafter.steam,broadcast\" class=\"ToProcessor\"><processor>error</processor></mailet>\n");
        refused("<mailet match=\"HasMailAttributeWithValue=krafter.steam,broadcast\" class=\"ToProcessor\">",
            "there is no Mail attribute \"krafter.steam\": the condition would never match.",
            "Fix: use one of krafter.account, krafter.attempt, krafter.configurationSet, krafter.emailId, krafter.keyPrefix, krafter.listUnsubscribe, krafter.stream, krafter.tracking.");
    }

    @Test
    void extensionMailetWhoseGuiceModuleIsNotNamed() throws Exception {
        Files.copy(extensionJar, distribution.extensionsJars().resolve(extensionJar.getFileName()));
        distribution.edit("mailetcontainer.xml", TRANSPORT_ANCHOR, TRANSPORT_ANCHOR
            + "            <mailet match=\"All\" class=\"com.acme.relay.RouteSenderDomain\"/>\n");
        refused("conf/mailetcontainer.xml, <mailet match=\"All\" class=\"com.acme.relay.RouteSenderDomain\"> (line ",
            "its constructor needs a com.acme.relay.SenderRoutes, and nothing binds one.",
            "name that module in conf/extensions.properties: guice.extension.module=");
    }

    @Test
    void guiceExtensionModuleThatCannotBeFound() throws Exception {
        Files.writeString(distribution.conf("extensions.properties"), "guice.extension.module=com.acme.relay.AcmeModul\n");
        refused("conf/extensions.properties, guice.extension.module=com.acme.relay.AcmeModul: no class \"com.acme.relay.AcmeModul\"",
            "put the jar that holds it into " + distribution.extensionsJars());
    }
}
