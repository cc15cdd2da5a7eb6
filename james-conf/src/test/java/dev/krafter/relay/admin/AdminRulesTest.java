package dev.krafter.relay.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.krafter.relay.apikey.ApiKey.Sandbox;

/** The admin decisions that need no database: key specs, sandbox changes, the admin token. */
class AdminRulesTest {

    @Test
    void keySpecDefaultsToSendingOnBothStreamsAndRefusesUnknownStreamsAndBadScopes() {
        KeySpec spec = KeySpec.of("acme", Optional.empty(), Optional.empty(), false).validated();
        assertThat(spec.scopes()).containsExactly("mail:send");
        assertThat(spec.allowedStreams()).containsExactlyInAnyOrder("transactional", "broadcast");

        assertThatThrownBy(() -> KeySpec.of("acme", Optional.empty(), Optional.of(Set.of("Transactional")), false).validated())
            .isInstanceOf(AdminRefusal.class).hasMessageStartingWith("allowed_streams: unknown stream 'Transactional'");
        assertThatThrownBy(() -> KeySpec.of("acme", Optional.of(Set.of()), Optional.empty(), false).validated())
            .hasMessageStartingWith("scopes: give at least one scope");
        assertThatThrownBy(() -> KeySpec.of("acme", Optional.of(Set.of("mail send")), Optional.empty(), false).validated())
            .hasMessageStartingWith("scopes: 'mail send' is not a scope");
        assertThat(KeySpec.of("acct_01H:team@acme.test", Optional.empty(), Optional.empty(), false).validated().account())
            .isEqualTo("acct_01H:team@acme.test");
        assertThatThrownBy(() -> KeySpec.of("acme/other", Optional.empty(), Optional.empty(), false).validated())
            .satisfies(e -> assertThat(((AdminRefusal) e).kind()).isEqualTo(AdminRefusal.Kind.INVALID));
    }

    @Test
    void sandboxChangeKeepsWhatIsLeftOutAndChecksWhatIsGiven() {
        Sandbox current = new Sandbox(true, Set.of("dev@acme.test"), 7);
        assertThat(new SandboxChange(Optional.of(false), Optional.empty(), Optional.empty()).applyTo(current))
            .isEqualTo(new Sandbox(false, Set.of("dev@acme.test"), 7));
        assertThat(new SandboxChange(Optional.empty(), Optional.of(Set.of("qa@acme.test")), Optional.of(0)).applyTo(current))
            .isEqualTo(new Sandbox(true, Set.of("qa@acme.test"), 0));

        assertThatThrownBy(() -> new SandboxChange(Optional.empty(), Optional.empty(), Optional.empty()).applyTo(current))
            .hasMessageStartingWith("nothing to change");
        assertThatThrownBy(() -> new SandboxChange(Optional.empty(), Optional.empty(), Optional.of(-1)).applyTo(current))
            .hasMessage("daily_cap: -1 is not between 0 and 1000000");
        assertThatThrownBy(() -> new SandboxChange(Optional.empty(), Optional.of(Set.of("dev@acme.test, qa@acme.test")),
            Optional.empty()).applyTo(current))
            .hasMessage("allowed_recipients: 'dev@acme.test, qa@acme.test' is not an email address");
    }

    @Test
    void adminTokenAdmitsOnlyItsBearerHeaderAndNeverPrintsItself() {
        String value = "0123456789abcdef0123456789abcdef";
        AdminToken token = AdminToken.fromSetting(value).orElseThrow();
        assertThat(token.admits("Bearer " + value)).isTrue();
        assertThat(token.admits("bearer " + value)).isTrue();
        assertThat(token.admits("Bearer " + value + "0")).isFalse();
        assertThat(token.admits("Bearer " + value.substring(1))).isFalse();
        assertThat(token.admits("Basic " + value)).isFalse();
        assertThat(token.admits(value)).isFalse();
        assertThat(token.admits(null)).isFalse();
        assertThat(token.toString()).doesNotContain(value);

        assertThat(AdminToken.fromSetting(null)).isEmpty();
        assertThat(AdminToken.fromSetting("  ")).isEmpty();
        assertThatThrownBy(() -> AdminToken.fromSetting("short")).isInstanceOf(IllegalArgumentException.class)
            .hasMessageStartingWith("KRAFTER_ADMIN_TOKEN must be at least 20");
    }
}
