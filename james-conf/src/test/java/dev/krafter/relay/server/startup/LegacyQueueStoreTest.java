package dev.krafter.relay.server.startup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A spool left in ActiveMQ by an earlier version is never silently abandoned. */
class LegacyQueueStoreTest {

    @Test
    void anActiveMqStoreWithContentRefusesTheStartAndSaysHowToDrainIt(@TempDir Path home) throws Exception {
        Path store = Files.createDirectories(home.resolve("var/store/activemq/KahaDB"));
        Files.writeString(store.resolve("db-1.log"), "journal");

        assertThatThrownBy(() -> LegacyQueueStore.check(home))
            .isInstanceOf(StartupFailure.class)
            .hasMessageStartingWith("var/store/activemq: ")
            .hasMessageContaining("may still hold accepted mail")
            .hasMessageContaining("Fix: start the earlier version once more")
            .hasMessageContaining("krafter_queue_depth 0")
            .hasMessageContaining("docs/operations.md");
    }

    @Test
    void noStoreOrAnEmptyOneIsNoObstacle(@TempDir Path home) throws Exception {
        assertThatCode(() -> LegacyQueueStore.check(home)).doesNotThrowAnyException();
        Files.createDirectories(home.resolve("var/store/activemq"));
        assertThatCode(() -> LegacyQueueStore.check(home)).doesNotThrowAnyException();
        assertThat(home.resolve("var/store/activemq")).isEmptyDirectory();
    }
}
