package dev.krafter.relay.server.startup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.krafter.relay.db.TestDatabase;
import dev.krafter.relay.server.KrafterModule;
import dev.krafter.relay.server.RelaySettings;

/**
 * {@link PipelineCheck} on the shipped mailetcontainer.xml with one mistake each, without starting
 * anything (the distribution test starts real relays for the main cases).
 */
class PipelineCheckTest {
    @TempDir
    Path home;
    private Path conf;
    private String shipped;

    @BeforeEach
    void copyConf() throws IOException {
        conf = Files.createDirectories(home.resolve("conf"));
        Path repoConf = TestDatabase.repositoryRoot().resolve("james-conf/conf");
        for (String file : new String[] {"mailetcontainer.xml", "extensions.properties"}) {
            Files.copy(repoConf.resolve(file), conf.resolve(file));
        }
        shipped = Files.readString(conf.resolve("mailetcontainer.xml"));
        RelaySettings.fromEnvironment(Map.of("KRAFTER_HOME", home.toString(), "KRAFTER_DB_URL", "jdbc:postgresql://unused/x"))
            .systemProperties().forEach(System::setProperty);
    }

    private void replace(String before, String after) throws IOException {
        assertThat(shipped).contains(before);
        Files.writeString(conf.resolve("mailetcontainer.xml"), shipped.replace(before, after));
    }

    private StartupFailure failure() {
        StartupFailure failure = catchThrowableOfType(StartupFailure.class, () -> PipelineCheck.check(home, conf));
        assertThat(failure).as("the check should have refused the conf").isNotNull();
        assertThat(failure.file()).isIn("conf/mailetcontainer.xml", "conf/extensions.properties");
        assertThat(failure.getMessage()).contains(" Fix: ");
        return failure;
    }

    @Test
    void theShippedConfPasses() {
        assertThatCode(() -> PipelineCheck.check(home, conf)).doesNotThrowAnyException();
    }

    @Test
    void malformedXmlNamesTheLine() throws IOException {
        replace("<processor state=\"ses\" enableJmx=\"false\">", "<processor state=\"ses\" enableJmx=\"false\"");
        StartupFailure failure = failure();
        assertThat(failure.element()).startsWith("line ");
        assertThat(failure.problem()).startsWith("is not well-formed XML");
    }

    @Test
    void aProcessorDefinedTwice() throws IOException {
        replace("<processor state=\"outbox\" enableJmx=\"false\">", "<processor state=\"ses\" enableJmx=\"false\">");
        assertThat(failure().problem()).isEqualTo("processor \"ses\" is defined twice; James would keep only the last one.");
    }

    @Test
    void noErrorProcessor() throws IOException {
        replace("<processor state=\"error\" enableJmx=\"false\">", "<processor state=\"failed\" enableJmx=\"false\">");
        StartupFailure failure = failure();
        assertThat(failure.problem()).startsWith("there is no <processor state=\"error\">");
        assertThat(failure.fix()).contains("add <processor state=\"error\"> back");
    }

    @Test
    void theBccRemovalJamesInsistsOn() throws IOException {
        replace("<name>bcc</name>\n            </mailet>\n            <!-- Broadcast", "<name>cc</name>\n            </mailet>\n            <!-- Broadcast");
        StartupFailure failure = failure();
        assertThat(failure.element()).startsWith("<processor state=\"transport\" enableJmx=\"false\"> (line ");
        assertThat(failure.problem()).contains("RemoveMimeHeader");
    }

    @Test
    void aMatcherUsedAsAMailet() throws IOException {
        replace("<mailet match=\"All\" class=\"dev.krafter.relay.mailets.RecordFailure\"/>",
            "<mailet match=\"All\" class=\"org.apache.james.transport.matchers.HasMailAttribute\"/>");
        StartupFailure failure = failure();
        assertThat(failure.problem()).isEqualTo(
            "org.apache.james.transport.matchers.HasMailAttribute is not a mailet (org.apache.mailet.Mailet), it is a matcher.");
    }

    @Test
    void aJamesMailetByAWrongShortName() throws IOException {
        replace("<mailet match=\"All\" class=\"RemoveMimeHeader\">", "<mailet match=\"All\" class=\"RemoveMimeHeaders\">");
        StartupFailure failure = failure();
        assertThat(failure.problem()).startsWith("no mailet class \"RemoveMimeHeaders\" (nor org.apache.james.transport.mailets.RemoveMimeHeaders)");
        assertThat(failure.fix()).isEqualTo("did you mean RemoveMimeHeader? Correct the class name.");
    }

    @Test
    void onMailetExceptionToAMissingProcessor() throws IOException {
        replace("<mailet match=\"All\" class=\"dev.krafter.relay.mailets.RecordFailure\"/>",
            "<mailet match=\"All\" class=\"dev.krafter.relay.mailets.RecordFailure\"><onMailetException>Quarantine</onMailetException></mailet>");
        StartupFailure failure = failure();
        assertThat(failure.problem()).startsWith("<onMailetException>Quarantine</onMailetException> sends mail to processor \"quarantine\"");
        assertThat(failure.element()).endsWith("in processor \"error\"");
    }

    @Test
    void retryProcessorOfSesSendThatDoesNotExist() throws IOException {
        replace("<maxRetries>", "<retryProcessor>retries</retryProcessor>\n                <maxRetries>");
        assertThat(failure().problem()).startsWith("<retryProcessor>retries</retryProcessor> sends mail to processor \"retries\"");
    }

    @Test
    void attributeMatcherWithoutComma() throws IOException {
        replace("<mailet match=\"All\" class=\"dev.krafter.relay.mailets.RecordFailure\"/>",
            "<mailet match=\"HasMailAttributeWithValue=krafter.stream\" class=\"dev.krafter.relay.mailets.RecordFailure\"/>");
        StartupFailure failure = failure();
        assertThat(failure.problem()).contains("has no comma");
        assertThat(failure.fix()).isEqualTo("write match=\"HasMailAttributeWithValue=krafter.stream,broadcast\".");
    }

    @Test
    void attributeMatcherWithAValueTheAttributeNeverHas() throws IOException {
        replace("<mailet match=\"All\" class=\"dev.krafter.relay.mailets.RecordFailure\"/>",
            "<mailet match=\"HasMailAttributeWithValue=krafter.stream,Broadcast\" class=\"dev.krafter.relay.mailets.RecordFailure\"/>");
        StartupFailure failure = failure();
        assertThat(failure.problem()).isEqualTo("krafter.stream is never \"Broadcast\": the condition would never match.");
        assertThat(failure.fix()).isEqualTo("compare with one of its values: broadcast, transactional.");
    }

    @Test
    void attributeMatchersOnRealAttributesPass() throws IOException {
        replace("<mailet match=\"All\" class=\"dev.krafter.relay.mailets.RecordFailure\"/>",
            "<mailet match=\"HasMailAttributeWithValue=krafter.tracking,true\" class=\"dev.krafter.relay.mailets.RecordFailure\"/>"
                + "<mailet match=\"HasMailAttributeWithValueRegex=krafter.configurationSet,krafter-.*\" class=\"Null\"/>"
                + "<mailet notmatch=\"HasMailAttribute=krafter.emailId\" class=\"Null\"/>"
                + "<mailet match=\"HasMailAttributeWithValue=app.custom,x\" class=\"Null\"/>");
        assertThatCode(() -> PipelineCheck.check(home, conf)).doesNotThrowAnyException();
    }

    @Test
    void compositeMatchersAreFollowed() throws IOException {
        replace("<processor state=\"error\" enableJmx=\"false\">",
            "<processor state=\"error\" enableJmx=\"false\">\n"
                + "<matcher name=\"tracked-broadcast\" match=\"org.apache.james.mailetcontainer.impl.matchers.And\">"
                + "<matcher match=\"HasMailAttributeWithValue=krafter.stream,broadcast\"/>"
                + "<matcher match=\"HasMailAttributeWithValue=krafter.tracking,true\"/></matcher>"
                + "<mailet match=\"tracked-broadcast\" class=\"Null\"/>");
        assertThatCode(() -> PipelineCheck.check(home, conf)).doesNotThrowAnyException();

        replace("<processor state=\"error\" enableJmx=\"false\">",
            "<processor state=\"error\" enableJmx=\"false\">\n"
                + "<matcher name=\"x\" match=\"org.apache.james.mailetcontainer.impl.matchers.And\">"
                + "<matcher match=\"IsBroadcast\"/></matcher>");
        assertThat(failure().problem()).startsWith("no matcher class \"IsBroadcast\" (nor org.apache.james.transport.matchers.IsBroadcast)");
    }

    @Test
    void aGuiceModuleThatIsNotAModule() throws IOException {
        Files.writeString(conf.resolve("extensions.properties"), "guice.extension.module=dev.krafter.relay.server.RelaySettings\n");
        StartupFailure failure = failure();
        assertThat(failure.file()).isEqualTo("conf/extensions.properties");
        assertThat(failure.problem()).isEqualTo("dev.krafter.relay.server.RelaySettings is not a Guice module.");
    }

    @Test
    void aGuiceModuleNamedTwiceOnTwoLines() throws IOException {
        Files.writeString(conf.resolve("extensions.properties"),
            "guice.extension.module=dev.krafter.relay.server.KrafterModule\nguice.extension.module=dev.krafter.relay.server.KrafterModule\n");
        StartupFailure failure = failure();
        assertThat(failure.element()).isEqualTo("guice.extension.module=dev.krafter.relay.server.KrafterModule");
        assertThat(failure.problem()).contains("is named twice");
    }
}
