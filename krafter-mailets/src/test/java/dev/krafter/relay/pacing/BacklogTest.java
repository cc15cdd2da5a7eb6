package dev.krafter.relay.pacing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/** The backlog decision: refuse MAIL when the spool would drain in more than the limit at MaxSendRate. */
class BacklogTest {
    private static final Optional<SendQuota> FIVE_A_SECOND = Optional.of(new SendQuota(50_000, 5, 100));
    private static final Duration FOUR_SECONDS = Duration.ofSeconds(4);

    @Test
    void refusesOnlyWhenTheDrainTimeIsOverTheLimit() {
        assertThat(Backlog.decide(20, FIVE_A_SECOND, FOUR_SECONDS).limited()).isFalse(); // exactly 4 s
        Backlog over = Backlog.decide(21, FIVE_A_SECOND, FOUR_SECONDS);
        assertThat(over.limit()).contains(Backlog.Limit.BACKLOG);
        assertThat(over.drainSeconds()).isEqualTo(4.2);
        assertThat(Backlog.decide(0, FIVE_A_SECOND, FOUR_SECONDS).drainSeconds()).isZero();
    }

    @Test
    void aSpentDailyQuotaRefusesWhateverTheDepth() {
        Optional<SendQuota> spent = Optional.of(new SendQuota(200, 1, 200));
        assertThat(Backlog.decide(0, spent, FOUR_SECONDS).limit()).contains(Backlog.Limit.DAILY_QUOTA);
        assertThat(Backlog.decide(-1, spent, FOUR_SECONDS).limit()).contains(Backlog.Limit.DAILY_QUOTA);
    }

    @Test
    void unpacedOrAnUnknownDepthNeverRefuses() {
        assertThat(Backlog.decide(1_000_000, Optional.empty(), FOUR_SECONDS).limited()).isFalse();
        assertThat(Backlog.decide(-1, FIVE_A_SECOND, FOUR_SECONDS).limited()).isFalse();
        assertThat(Backlog.decide(10, Optional.of(new SendQuota(-1, 5, 10)), FOUR_SECONDS).limited()).isFalse();
    }
}
