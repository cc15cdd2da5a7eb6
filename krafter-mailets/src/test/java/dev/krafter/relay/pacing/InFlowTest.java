package dev.krafter.relay.pacing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** Arrival held to the delivery threads' intake: tokens from leases, one per MAIL, a bounded wait. */
class InFlowTest {
    private static final Duration LONG = Duration.ofSeconds(30);

    @Test
    void theCapPassesAtOnceThenMailWaitsItsMaximumAndGoesAheadAnyway() throws Exception {
        InFlow inFlow = new InFlow(3);
        for (int i = 0; i < 3; i++) {
            assertThat(inFlow.admit(LONG)).isZero();
        }
        Duration waited = inFlow.admit(Duration.ofMillis(50));
        assertThat(waited).isGreaterThanOrEqualTo(Duration.ofMillis(50));
        assertThat(inFlow.tokens()).isZero();
    }

    @Test
    void aLeaseLetsAWaitingMailThroughBeforeItsMaximum() throws Exception {
        InFlow inFlow = new InFlow(1);
        inFlow.admit(LONG);
        CompletableFuture<Duration> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return inFlow.admit(LONG);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(100);
        assertThat(waiting).isNotDone();
        inFlow.leased(1, false);
        Duration waited = waiting.get(10, TimeUnit.SECONDS);
        assertThat(waited).isPositive().isLessThan(LONG);
        assertThat(inFlow.tokens()).isZero();
    }

    @Test
    void leasesGiveOneTokenPerMailUpToTheCapAndAShortLeaseFillsIt() throws Exception {
        InFlow inFlow = new InFlow(8);
        for (int i = 0; i < 8; i++) {
            inFlow.admit(LONG);
        }
        inFlow.leased(3, false);
        assertThat(inFlow.tokens()).isEqualTo(3);
        inFlow.leased(16, false);
        assertThat(inFlow.tokens()).isEqualTo(8);
        for (int i = 0; i < 8; i++) {
            inFlow.admit(LONG);
        }
        inFlow.leased(0, true); // nothing waits for this node's delivery threads: nothing is held
        assertThat(inFlow.tokens()).isEqualTo(8);
        inFlow.leased(0, false); // a lease that found nothing to do adds nothing
        assertThat(inFlow.tokens()).isEqualTo(8);
    }

    @Test
    void aCapBelowOneIsRefused() {
        assertThatThrownBy(() -> new InFlow(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
