package dev.krafter.relay.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.junit.jupiter.api.Test;

import dev.krafter.relay.events.TestEvents;
import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.policy.ConfigurationSets;
import dev.krafter.relay.policy.SenderPolicy;

class SandboxRcptHookTest {
    private static final ApiKey SANDBOX = new ApiKey(1, "a", "kr_test_X", Set.of(ApiKey.SEND_SCOPE),
        Set.of("transactional"), false, new ApiKey.Sandbox(true, Set.of("me@example.com"), 10));
    private static final ApiKey LIVE = new ApiKey(2, "b", "kr_live_X", Set.of(ApiKey.SEND_SCOPE),
        Set.of("transactional"), false, ApiKey.Sandbox.OFF);

    private final SandboxRcptHook hook = new SandboxRcptHook(new SenderPolicy(ConfigurationSets.DEFAULTS), new TestEvents().events());

    private static MailAddress address(String address) throws Exception {
        return new MailAddress(address);
    }

    @Test
    void anAllowListedRecipientIsLeftToTheOtherHooks() throws Exception {
        assertThat(hook.doRcpt(FakeSession.authenticated(SANDBOX), MaybeSender.nullSender(), address("ME@Example.com")))
            .isEqualTo(HookResult.DECLINED);
    }

    @Test
    void aRecipientOutsideTheAllowListIsRefusedAtRcpt() throws Exception {
        HookResult result = hook.doRcpt(FakeSession.authenticated(SANDBOX), MaybeSender.nullSender(), address("you@example.com"));
        assertThat(Replies.line(result))
            .isEqualTo("550 5.7.1 sandbox accounts may only send to allow-listed recipients: you@example.com");
    }

    @Test
    void aSecondRecipientIsRefusedAtRcpt() throws Exception {
        HookResult result = hook.doRcpt(FakeSession.authenticated(SANDBOX, List.of(address("me@example.com"))),
            MaybeSender.nullSender(), address("me@example.com"));
        assertThat(Replies.line(result)).isEqualTo("550 5.7.1 sandbox accounts may only send to one recipient per message");
    }

    @Test
    void nonSandboxKeysAndUnauthenticatedSessionsAreNotThisHooksBusiness() throws Exception {
        assertThat(hook.doRcpt(FakeSession.authenticated(LIVE, List.of(address("a@example.com"))),
            MaybeSender.nullSender(), address("b@example.com"))).isEqualTo(HookResult.DECLINED);
        assertThat(hook.doRcpt(FakeSession.unauthenticated(), MaybeSender.nullSender(), address("b@example.com")))
            .isEqualTo(HookResult.DECLINED);
    }
}
