package dev.krafter.relay.pacing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/** The pacing decision on a fake clock: who goes now, who waits how long, who goes back to the queue. */
class TokenBucketTest {
    private static final long MS = 1_000_000;
    private static final Duration MAX_WAIT = Duration.ofSeconds(1);

    @Test
    void aFullBucketLetsTheBurstGoThenSpacesSendsOneOverTheRateApart() {
        TokenBucket bucket = new TokenBucket(5, 1, 0);
        assertThat(bucket.reserve(0, MAX_WAIT)).contains(Duration.ZERO);
        assertThat(bucket.reserve(0, MAX_WAIT)).contains(Duration.ofMillis(200));
        assertThat(bucket.reserve(0, MAX_WAIT)).contains(Duration.ofMillis(400));
        assertThat(bucket.reserve(0, MAX_WAIT)).contains(Duration.ofMillis(600));
        assertThat(bucket.reserve(0, MAX_WAIT)).contains(Duration.ofMillis(800));
        assertThat(bucket.reserve(0, MAX_WAIT)).contains(Duration.ofMillis(1000));
        // The 7th would wait 1.2 s: it goes back to the queue for that long, and takes no place in line.
        assertThat(bucket.reserve(0, MAX_WAIT)).isEmpty();
        assertThat(bucket.waitFor(0)).isEqualTo(Duration.ofMillis(1200));
        assertThat(bucket.reserve(200 * MS, MAX_WAIT)).contains(Duration.ofMillis(1000));
    }

    @Test
    void noOneSecondWindowGetsMoreThanRatePlusBurstUnderAnyOffer() {
        TokenBucket bucket = new TokenBucket(5, 1, 0);
        List<Long> sendTimes = new ArrayList<>();
        // 40 offers a second for 20 s; every offer either reserves a slot or is refused.
        for (long t = 0; t < 20_000 * MS; t += 25 * MS) {
            Optional<Duration> wait = bucket.reserve(t, MAX_WAIT);
            if (wait.isPresent()) {
                sendTimes.add(t + wait.get().toNanos());
            }
        }
        int worst = 0;
        for (long start : sendTimes) {
            int inWindow = (int) sendTimes.stream().filter(s -> s >= start && s < start + 1000 * MS).count();
            worst = Math.max(worst, inWindow);
        }
        assertThat(worst).isLessThanOrEqualTo(5 + 1);
        // Over 20 s (+ the last reservations up to 1 s ahead): the rate, plus the one token of burst.
        assertThat(sendTimes).hasSizeBetween(100, 5 * 21 + 1);
    }

    @Test
    void anIdleBucketRefillsOnlyUpToItsBurst() {
        TokenBucket bucket = new TokenBucket(5, 1, 0);
        bucket.reserve(0, MAX_WAIT);
        assertThat(bucket.reserve(60_000 * MS, MAX_WAIT)).contains(Duration.ZERO);
        assertThat(bucket.reserve(60_000 * MS, MAX_WAIT)).contains(Duration.ofMillis(200));
    }

    @Test
    void aNewRateAppliesToTheLineFromNowOn() {
        TokenBucket bucket = new TokenBucket(10, 1, 0);
        bucket.reserve(0, MAX_WAIT);
        bucket.rate(5, 0);
        assertThat(bucket.reserve(0, MAX_WAIT)).contains(Duration.ofMillis(200));
    }

    @Test
    void aBucketStartedOwingTokensSendsNothingUntilItHasEarnedOne() {
        TokenBucket bucket = new TokenBucket(5, 1, 1 - 5, 0); // owes one second
        assertThat(bucket.waitFor(0)).isEqualTo(Duration.ofSeconds(1));
        assertThat(bucket.reserve(1000 * MS, MAX_WAIT)).contains(Duration.ZERO);
    }
}
