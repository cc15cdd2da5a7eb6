package dev.krafter.relay.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** KRAFTER_PROXY_PROTOCOL and KRAFTER_IN_FLOW_DELAY → the ${sys:krafter.smtp.*} values smtpserver.xml reads; the other true/false settings. */
class RelaySettingsTest {
    private static Map<String, String> env(String... pairs) {
        Map<String, String> env = new HashMap<>(Map.of("KRAFTER_DB_URL", "jdbc:postgresql://127.0.0.1:5432/krafter"));
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    @Test
    void directClientsByDefault() {
        Map<String, String> props = RelaySettings.fromEnvironment(env()).systemProperties();
        assertThat(props).containsEntry("krafter.smtp.proxyRequired", "false")
            .containsEntry("krafter.smtp.connectionLimitPerIP", "200");
    }

    @Test
    void behindAProxyTheHeaderIsRequiredAndThePerPeerLimitIsOff() {
        Map<String, String> props = RelaySettings.fromEnvironment(env("KRAFTER_PROXY_PROTOCOL", "TRUE")).systemProperties();
        assertThat(props).containsEntry("krafter.smtp.proxyRequired", "true")
            .containsEntry("krafter.smtp.connectionLimitPerIP", "0");
        assertThat(RelaySettings.fromEnvironment(env("KRAFTER_PROXY_PROTOCOL", "")).proxyProtocol()).isFalse();
    }

    @Test
    void anythingButTrueOrFalseIsRefusedWithTheVariablesName() {
        assertThatThrownBy(() -> RelaySettings.fromEnvironment(env("KRAFTER_PROXY_PROTOCOL", "yes")))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("KRAFTER_PROXY_PROTOCOL must be true or false, not \"yes\"");
    }

    @Test
    void anIdleRelayGivesMemoryBackUnlessTurnedOff() {
        assertThat(RelaySettings.fromEnvironment(env()).returnMemoryWhenIdle()).isTrue();
        assertThat(RelaySettings.fromEnvironment(env("KRAFTER_RETURN_MEMORY_WHEN_IDLE", "false")).returnMemoryWhenIdle()).isFalse();
        assertThatThrownBy(() -> RelaySettings.fromEnvironment(env("KRAFTER_RETURN_MEMORY_WHEN_IDLE", "off")).returnMemoryWhenIdle())
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("KRAFTER_RETURN_MEMORY_WHEN_IDLE must be true or false, not \"off\"");
    }

    @Test
    void mailFromWaitsAtMostASecondForTheDeliveryThreadsUnlessSetOtherwise() {
        assertThat(RelaySettings.fromEnvironment(env()).systemProperties()).containsEntry("krafter.smtp.inFlowDelay", "1000ms");
        assertThat(RelaySettings.fromEnvironment(env("KRAFTER_IN_FLOW_DELAY", "250ms")).systemProperties())
            .containsEntry("krafter.smtp.inFlowDelay", "250ms");
        assertThat(RelaySettings.fromEnvironment(env("KRAFTER_IN_FLOW_DELAY", "0")).systemProperties())
            .containsEntry("krafter.smtp.inFlowDelay", "0ms");
        assertThatThrownBy(() -> RelaySettings.fromEnvironment(env("KRAFTER_IN_FLOW_DELAY", "soon")).systemProperties())
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("KRAFTER_IN_FLOW_DELAY must be a duration such as 1s or 500ms, not \"soon\"");
        assertThatThrownBy(() -> RelaySettings.fromEnvironment(env("KRAFTER_IN_FLOW_DELAY", "1m")).systemProperties())
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("KRAFTER_IN_FLOW_DELAY must be between 0 and 10s, not 1m");
    }
}
