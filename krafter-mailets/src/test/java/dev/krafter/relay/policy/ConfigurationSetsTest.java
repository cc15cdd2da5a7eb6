package dev.krafter.relay.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;

class ConfigurationSetsTest {
    @Test
    void defaultsWhenUnsetOrBlank() {
        assertThat(ConfigurationSets.fromEnv(Map.of())).isEqualTo(ConfigurationSets.DEFAULTS);
        assertThat(ConfigurationSets.fromEnv(Map.of(ConfigurationSets.ENV_BROADCAST, "  ")))
            .isEqualTo(ConfigurationSets.DEFAULTS);
    }

    @Test
    void readsAllFour() {
        ConfigurationSets sets = ConfigurationSets.fromEnv(Map.of(
            "KRAFTER_SES_CONFIGSET_TRANSACTIONAL", "t",
            "KRAFTER_SES_CONFIGSET_TRANSACTIONAL_TRACKED", "tt",
            "KRAFTER_SES_CONFIGSET_BROADCAST", " b ",
            "KRAFTER_SES_CONFIGSET_BROADCAST_UNTRACKED", "bu"));
        assertThat(sets).isEqualTo(new ConfigurationSets("t", "tt", "b", "bu"));
        assertThat(sets.select(Stream.TRANSACTIONAL, false)).isEqualTo("t");
        assertThat(sets.select(Stream.TRANSACTIONAL, true)).isEqualTo("tt");
        assertThat(sets.select(Stream.BROADCAST, true)).isEqualTo("b");
        assertThat(sets.select(Stream.BROADCAST, false)).isEqualTo("bu");
    }

    @Test
    void refusesNamesSesWouldRefuse() {
        assertThatThrownBy(() -> ConfigurationSets.fromEnv(Map.of("KRAFTER_SES_CONFIGSET_BROADCAST", "has space")))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has space");
    }
}
