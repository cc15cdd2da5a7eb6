package dev.krafter.relay.pacing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

/** The pacer's background state, driven by hand: quota, node share, backlog, and GetAccount failures. */
class SendPacerTest {
    private static final PacingSettings SETTINGS = new PacingSettings(Duration.ofMinutes(5), Duration.ofSeconds(4),
        Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(60));

    private final AtomicLong clock = new AtomicLong();
    private final AtomicReference<SendQuota> quota = new AtomicReference<>(new SendQuota(50_000, 14, 0));
    private final AtomicReference<SpoolLoad> load = new AtomicReference<>(new SpoolLoad(0, 1));

    private SendPacer pacer(SendPacer.QuotaSource source) {
        return new SendPacer(SETTINGS, source, load::get, clock::get);
    }

    @Test
    void eachLiveNodeGetsItsShareOfTheAccountRate() {
        SendPacer pacer = pacer(quota::get);
        pacer.refreshQuota();
        pacer.refreshLoad();
        assertThat(pacer.state().nodeRate()).isEqualTo(14.0);
        load.set(new SpoolLoad(0, 2));
        pacer.refreshLoad();
        assertThat(pacer.state().nodeRate()).isEqualTo(7.0);
    }

    @Test
    void theBacklogDecisionFollowsTheDepthReadInTheBackground() {
        SendPacer pacer = pacer(quota::get);
        pacer.refreshQuota();
        load.set(new SpoolLoad(57, 3)); // 57 / 14 = 4.07 s over all nodes: the account's rate, not the share
        pacer.refreshLoad();
        assertThat(pacer.state().backlog().limit()).contains(Backlog.Limit.BACKLOG);
        load.set(new SpoolLoad(56, 3));
        pacer.refreshLoad();
        assertThat(pacer.state().backlog().limited()).isFalse();
    }

    @Test
    void withoutGetAccountNothingIsPacedOrRefused() {
        SendPacer pacer = pacer(() -> {
            throw new IllegalStateException("AccessDenied");
        });
        pacer.refreshQuota();
        load.set(new SpoolLoad(1_000_000, 1));
        pacer.refreshLoad();
        assertThat(pacer.state().quota()).isEmpty();
        assertThat(pacer.state().backlog().limited()).isFalse();
        for (int i = 0; i < 100; i++) {
            assertThat(pacer.awaitTurn()).isEmpty();
        }
    }

    @Test
    void aFreshNodeHoldsItsFirstSendForOneRefreshAndALongLineGoesBackToTheQueue() {
        SendPacer pacer = new SendPacer(new PacingSettings(Duration.ofMinutes(5), Duration.ofSeconds(4),
            Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(60)), quota::get, load::get, clock::get);
        pacer.refreshQuota();
        // It owes one refresh of tokens, longer than a thread may wait: back to the queue for 1 s.
        assertThat(pacer.awaitTurn()).contains(Duration.ofSeconds(1));
        clock.addAndGet(Duration.ofSeconds(1).toNanos());
        assertThat(pacer.awaitTurn()).isEmpty();
    }

    @Test
    void aLaterGetAccountFailureKeepsTheLastQuota() {
        AtomicReference<Boolean> fail = new AtomicReference<>(false);
        SendPacer pacer = pacer(() -> {
            if (fail.get()) {
                throw new IllegalStateException("timeout");
            }
            return quota.get();
        });
        pacer.refreshQuota();
        fail.set(true);
        pacer.refreshQuota();
        assertThat(pacer.state().quota()).contains(quota.get());
    }
}
