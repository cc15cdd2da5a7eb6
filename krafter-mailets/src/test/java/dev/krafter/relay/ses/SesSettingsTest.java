package dev.krafter.relay.ses;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

class SesSettingsTest {
    @Test
    void theAttemptTimeoutComesFromTheEnvironmentAndTheCallGetsTwiceIt() {
        SesSettings settings = SesSettings.fromEnvironment(Map.of(SesSettings.ATTEMPT_TIMEOUT_ENV, " 5 "));
        assertThat(settings.apiCallAttemptTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(settings.apiCallTimeout()).isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void withoutItTheDefaultsStay() {
        SesSettings settings = SesSettings.fromEnvironment(Map.of());
        assertThat(settings.apiCallAttemptTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(settings.apiCallTimeout()).isEqualTo(Duration.ofSeconds(120));
    }

    @Test
    void aMalformedTimeoutNamesTheVariable() {
        assertThatThrownBy(() -> SesSettings.fromEnvironment(Map.of(SesSettings.ATTEMPT_TIMEOUT_ENV, "2m")))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(SesSettings.ATTEMPT_TIMEOUT_ENV);
        assertThatThrownBy(() -> SesSettings.fromEnvironment(Map.of(SesSettings.ATTEMPT_TIMEOUT_ENV, "0")))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1");
    }
}
