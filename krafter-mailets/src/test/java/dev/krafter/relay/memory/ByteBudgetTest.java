package dev.krafter.relay.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

class ByteBudgetTest {
    private static final long KIB = 1024;

    @Test
    void aSendHoldsItsSizeUntilClosed() {
        ByteBudget budget = new ByteBudget(64 * KIB);
        try (ByteBudget.Permit permit = budget.acquire(40 * KIB)) {
            assertThat(budget.availableBytes()).isEqualTo(24 * KIB);
        }
        assertThat(budget.availableBytes()).isEqualTo(64 * KIB);
    }

    @Test
    void aMessageLargerThanTheBudgetTakesAllOfItAndStillGoes() {
        ByteBudget budget = new ByteBudget(64 * KIB);
        try (ByteBudget.Permit permit = budget.acquire(25L * 1024 * 1024)) {
            assertThat(budget.availableBytes()).isZero();
        }
        assertThat(budget.availableBytes()).isEqualTo(64 * KIB);
    }

    @Test
    void aSendThatDoesNotFitWaitsForTheOneAhead() throws Exception {
        ByteBudget budget = new ByteBudget(64 * KIB);
        ByteBudget.Permit first = budget.acquire(40 * KIB);
        Thread[] waiter = new Thread[1];
        CompletableFuture<Long> second = CompletableFuture.supplyAsync(() -> {
            waiter[0] = Thread.currentThread();
            try (ByteBudget.Permit permit = budget.acquire(40 * KIB)) {
                return budget.availableBytes();
            }
        });
        // The second send parks on the budget (bounded wait for the thread to get there).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while ((waiter[0] == null || waiter[0].getState() != Thread.State.WAITING) && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(second).isNotDone();
        first.close();
        assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo(24 * KIB);
        assertThat(budget.availableBytes()).isEqualTo(64 * KIB);
    }

    @Test
    void closingTwiceReturnsTheShareOnce() {
        ByteBudget budget = new ByteBudget(64 * KIB);
        ByteBudget.Permit permit = budget.acquire(10 * KIB);
        permit.close();
        permit.close();
        assertThat(budget.availableBytes()).isEqualTo(64 * KIB);
    }

    @Test
    void aBudgetBelowOneKibibyteIsRefused() {
        assertThatThrownBy(() -> new ByteBudget(-1)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("at least 1 KiB");
    }
}
