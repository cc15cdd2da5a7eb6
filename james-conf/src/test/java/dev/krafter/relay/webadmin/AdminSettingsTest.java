package dev.krafter.relay.webadmin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;

/** WebAdmin is off without a token, on loopback:8000 with one; bad values stop the start with their fix. */
class AdminSettingsTest {

    @Test
    void offWithoutATokenAndLoopbackByDefault() {
        AdminSettings off = AdminSettings.fromEnvironment(Map.of());
        assertThat(off.enabled()).isFalse();
        assertThat(off.systemProperties()).containsEntry("krafter.admin.enabled", "false");

        AdminSettings on = AdminSettings.fromEnvironment(Map.of("KRAFTER_ADMIN_TOKEN", "a".repeat(32)));
        assertThat(on.enabled()).isTrue();
        assertThat(on.systemProperties()).containsOnly(Map.entry("krafter.admin.enabled", "true"),
            Map.entry("krafter.admin.host", "127.0.0.1"), Map.entry("krafter.admin.port", "8000"));
        assertThat(on.toString()).doesNotContain("a".repeat(32));
    }

    @Test
    void aWeakTokenOrABadPortIsRefused() {
        assertThatThrownBy(() -> AdminSettings.fromEnvironment(Map.of("KRAFTER_ADMIN_TOKEN", "changeme")))
            .hasMessage("KRAFTER_ADMIN_TOKEN must be at least 20 printable ASCII characters without spaces (e.g. openssl rand -hex 32)");
        assertThatThrownBy(() -> AdminSettings.fromEnvironment(Map.of("KRAFTER_ADMIN_PORT", "http")))
            .hasMessage("KRAFTER_ADMIN_PORT must be a port number (0: any free port), not http");
    }
}
