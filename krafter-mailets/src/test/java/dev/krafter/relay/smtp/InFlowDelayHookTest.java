package dev.krafter.relay.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Set;

import org.apache.commons.configuration2.BaseHierarchicalConfiguration;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.junit.jupiter.api.Test;

import dev.krafter.relay.apikey.ApiKey;
import dev.krafter.relay.events.RelayEvents;
import dev.krafter.relay.events.TestEvents;
import dev.krafter.relay.pacing.InFlow;

/** The hook waits for a token, counts the wait, and always passes MAIL on: a pause, never a reply. */
class InFlowDelayHookTest {
    private static final ApiKey KEY = new ApiKey(1, "a", "kr_live_X", Set.of(ApiKey.SEND_SCOPE), Set.of("transactional"), false,
        ApiKey.Sandbox.OFF);

    private final TestEvents events = new TestEvents();
    private final InFlow inFlow = new InFlow(1);

    private InFlowDelayHook hook(String maxDelay) {
        InFlowDelayHook hook = new InFlowDelayHook(inFlow, events.events());
        BaseHierarchicalConfiguration config = new BaseHierarchicalConfiguration();
        config.addProperty("maxDelay", maxDelay);
        hook.init(config);
        return hook;
    }

    @Test
    void aTokenPassesAtOnceAndNoneLeftWaitsItsMaximumThenPassesAndIsCounted() {
        InFlowDelayHook hook = hook("100ms");
        assertThat(hook.doMail(FakeSession.authenticated(KEY), MaybeSender.nullSender())).isEqualTo(HookResult.DECLINED);
        assertThat(events.count(RelayEvents.SMTP_IN_FLOW_DELAYED)).isZero();

        long start = System.nanoTime();
        assertThat(hook.doMail(FakeSession.authenticated(KEY), MaybeSender.nullSender())).isEqualTo(HookResult.DECLINED);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(100));
        assertThat(events.count(RelayEvents.SMTP_IN_FLOW_DELAYED)).isEqualTo(1);
        assertThat(events.count(RelayEvents.SMTP_IN_FLOW_DELAY_MS)).isGreaterThanOrEqualTo(100);
    }

    @Test
    void zeroNeverWaitsNorTakesATokenAndThePipelineXmlValueParses() {
        InFlowDelayHook off = hook("0ms");
        for (int i = 0; i < 3; i++) {
            assertThat(off.doMail(FakeSession.authenticated(KEY), MaybeSender.nullSender())).isEqualTo(HookResult.DECLINED);
        }
        assertThat(events.count(RelayEvents.SMTP_IN_FLOW_DELAYED)).isZero();
        InFlowDelayHook on = hook("1000ms"); // the form RelaySettings writes for ${sys:krafter.smtp.inFlowDelay}
        assertThat(on.doMail(FakeSession.authenticated(KEY), MaybeSender.nullSender())).isEqualTo(HookResult.DECLINED);
        assertThat(events.count(RelayEvents.SMTP_IN_FLOW_DELAYED)).as("the one token was still there").isZero();
    }
}
