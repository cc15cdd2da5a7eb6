package dev.krafter.relay.ses;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

import org.junit.jupiter.api.Test;

class RetryScheduleTest {
    private final RetrySchedule schedule = RetrySchedule.defaults();

    @Test
    void doublesFromTheInitialDelayUpToTheCap() {
        assertThat(schedule.nominalDelay(1)).isEqualTo(Duration.ofSeconds(30));
        assertThat(schedule.nominalDelay(2)).isEqualTo(Duration.ofSeconds(60));
        assertThat(schedule.nominalDelay(5)).isEqualTo(Duration.ofSeconds(480));
        assertThat(schedule.nominalDelay(6)).isEqualTo(Duration.ofMinutes(10));
        assertThat(schedule.nominalDelay(10)).isEqualTo(Duration.ofMinutes(10));
        assertThat(new RetrySchedule(Duration.ofSeconds(1), Duration.ofHours(1), 1000).nominalDelay(900)).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void jitterTakesOffAtMostHalf() {
        RandomGenerator random = new SplittableRandom(42);
        for (int retry = 1; retry <= 10; retry++) {
            Duration nominal = schedule.nominalDelay(retry);
            for (int i = 0; i < 200; i++) {
                Duration delay = schedule.delayBefore(retry, random).orElseThrow();
                assertThat(delay).isBetween(nominal.dividedBy(2), nominal);
            }
        }
    }

    @Test
    void spreadsRetriesOfMessagesThatFailedTogether() {
        RandomGenerator random = new SplittableRandom(7);
        long distinct = java.util.stream.IntStream.range(0, 100)
            .mapToObj(i -> schedule.delayBefore(3, random).orElseThrow())
            .distinct().count();
        assertThat(distinct).isGreaterThan(90);
    }

    @Test
    void givesUpAfterMaxRetries() {
        RandomGenerator random = new SplittableRandom(1);
        assertThat(schedule.delayBefore(10, random)).isPresent();
        assertThat(schedule.delayBefore(11, random)).isEmpty();
        assertThat(new RetrySchedule(Duration.ofSeconds(1), Duration.ofSeconds(1), 0).delayBefore(1, random)).isEmpty();
    }

    @Test
    void theDefaultsSpanRoughlyAnHour() {
        Duration total = Duration.ZERO;
        for (int retry = 1; retry <= schedule.maxRetries(); retry++) {
            total = total.plus(schedule.nominalDelay(retry));
        }
        assertThat(total).isEqualTo(Duration.ofMinutes(65).plusSeconds(30));
    }

    @Test
    void refusesNonsense() {
        assertThatThrownBy(() -> new RetrySchedule(Duration.ZERO, Duration.ofSeconds(1), 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RetrySchedule(Duration.ofMinutes(2), Duration.ofMinutes(1), 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RetrySchedule(Duration.ofSeconds(1), Duration.ofSeconds(1), -1)).isInstanceOf(IllegalArgumentException.class);
    }
}
