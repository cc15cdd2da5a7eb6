package dev.krafter.relay.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;

import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.smtp.core.AbstractHookableCmdHandler;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.junit.jupiter.api.Test;

import dev.krafter.relay.apikey.ApiKey;

class RequireAuthHookTest {
    private final RequireAuthHook hook = new RequireAuthHook();

    @Test
    void mailFromBeforeAuthIs530() {
        HookResult result = hook.doMail(FakeSession.unauthenticated(), MaybeSender.nullSender());
        assertThat(Replies.line(result)).isEqualTo("530 5.7.0 Authentication required");
    }

    @Test
    void anAuthenticatedSessionPassesOnToTheNextHooks() {
        ApiKey key = new ApiKey(1, "a", "kr_live_X", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional"), false,
            ApiKey.Sandbox.OFF);
        assertThat(hook.doMail(FakeSession.authenticated(key), MaybeSender.nullSender())).isEqualTo(HookResult.DECLINED);
        assertThat(AbstractHookableCmdHandler.calcDefaultSMTPResponse(HookResult.DECLINED)).isNull();
    }
}
