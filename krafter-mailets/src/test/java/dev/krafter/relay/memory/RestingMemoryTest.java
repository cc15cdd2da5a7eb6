package dev.krafter.relay.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;

import org.junit.jupiter.api.Test;

import com.sun.management.HotSpotDiagnosticMXBean;

class RestingMemoryTest {
    private static final long SECOND = 1_000_000_000L;
    private static final long MIB = 1024 * 1024;

    /** Feeds {@code seconds} one-second samples using {@code cpuPerSecond} of CPU each; counts the rests asked for. */
    private static final class Clock {
        final RestingMemory.Watch watch = new RestingMemory.Watch();
        long now;
        long cpu;
        long resident = 200 * MIB;

        int run(int seconds, double cpuPerSecond) {
            int rests = 0;
            for (int i = 0; i < seconds; i++) {
                now += SECOND;
                cpu += (long) (cpuPerSecond * SECOND);
                if (watch.sample(now, cpu, resident)) {
                    rests++;
                    resident -= 40 * MIB;
                    watch.rested(resident);
                }
            }
            return rests;
        }
    }

    @Test
    void restsOnceAfterFiveIdleSecondsAndNotWhileBusy() {
        Clock clock = new Clock();
        assertThat(clock.run(30, 0.9)).isZero();   // start-up and load
        assertThat(clock.run(4, 0.01)).isZero();   // not idle long enough yet
        assertThat(clock.run(1, 0.01)).isOne();    // the fifth idle second
        assertThat(clock.run(120, 0.01)).isZero(); // nothing grew since: no second rest
    }

    @Test
    void aBusySecondStartsTheIdleCountAgain() {
        Clock clock = new Clock();
        clock.run(1, 0.9);
        assertThat(clock.run(4, 0.01)).isZero();
        assertThat(clock.run(1, 0.5)).isZero();
        assertThat(clock.run(4, 0.01)).isZero();
        assertThat(clock.run(1, 0.01)).isOne();
    }

    @Test
    void restsAgainOnlyOnceResidentMemoryHasGrownPastTheMark() {
        Clock clock = new Clock();
        clock.run(10, 0.01);
        long mark = clock.resident;

        clock.resident = mark + RestingMemory.Watch.REGROWTH;  // grown, but not past the mark
        assertThat(clock.run(20, 0.01)).isZero();

        clock.run(10, 0.9);  // a load grew it further
        clock.resident = mark + RestingMemory.Watch.REGROWTH + MIB;
        assertThat(clock.run(10, 0.01)).isOne();
    }

    @Test
    void theRestsOwnCollectionsAreNotTakenForActivity() {
        RestingMemory.Watch watch = new RestingMemory.Watch();
        long now = 0;
        for (int i = 0; i < 6; i++) {
            now += SECOND;
            watch.sample(now, 0, 300 * MIB);
        }
        watch.rested(100 * MIB);
        // The rest's collections used a second of CPU between the samples; the grown memory would ask again.
        long cpu = SECOND;
        int rests = 0;
        for (int i = 0; i < 6; i++) {
            now += SECOND;
            rests += watch.sample(now, cpu, 300 * MIB) ? 1 : 0;
        }
        assertThat(rests).as("idle again from the first sample after the rest").isOne();
    }

    @Test
    void aRestOnThisJvmCollectsTrimsAndPutsTheHeapRatiosBack() throws Exception {
        HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        String min = vm.getVMOption("MinHeapFreeRatio").getValue();
        String max = vm.getVMOption("MaxHeapFreeRatio").getValue();
        long collections = ManagementFactory.getGarbageCollectorMXBeans().stream()
            .mapToLong(gc -> Math.max(0, gc.getCollectionCount())).sum();

        RestingMemory.rest();

        assertThat(ManagementFactory.getGarbageCollectorMXBeans().stream()
            .mapToLong(gc -> Math.max(0, gc.getCollectionCount())).sum()).isGreaterThan(collections);
        assertThat(vm.getVMOption("MinHeapFreeRatio").getValue()).isEqualTo(min);
        assertThat(vm.getVMOption("MaxHeapFreeRatio").getValue()).isEqualTo(max);
        assertThat(RestingMemory.residentBytes()).isPositive();
    }
}
