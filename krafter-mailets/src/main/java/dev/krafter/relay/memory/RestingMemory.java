package dev.krafter.relay.memory;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.management.ObjectName;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.OperatingSystemMXBean;

/**
 * Gives memory back to the system once the process has fallen idle. Under load the heap grows
 * towards {@code -Xmx} and glibc's arenas keep what they held, and neither shrinks on its own: the
 * serial collector keeps up to {@code MaxHeapFreeRatio} (70 %) of its heap free, and returns
 * memory only at a full collection. Keeping the heap that tight all the time costs throughput (more
 * collections under load), and so does trimming the native heap periodically under load; done once
 * when nothing is running, both cost a few collections of the live set and nothing else.
 *
 * <p>Once a second the watch reads the process's CPU time and resident memory ({@link Watch}). After
 * {@link Watch#IDLE} under {@link Watch#IDLE_CPU_SHARE} of a core it rests: the heap's free ratios are
 * tightened for four full collections (the serial collector damps its shrinking over consecutive
 * full collections: nothing at the first, all of it by the fourth), then restored, and glibc is asked
 * to return its free memory ({@code System.trim_native_heap}). It rests again only after the resident
 * memory has grown by {@link Watch#REGROWTH} since.
 */
public final class RestingMemory implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(RestingMemory.class);
    private static final String[] TIGHT = {"MinHeapFreeRatio", "10", "MaxHeapFreeRatio", "30"};
    private static final int FULL_COLLECTIONS = 4;

    /**
     * The decision, apart from the JVM: fed one sample a second, says when to rest. Idle means less
     * than {@link #IDLE_CPU_SHARE} of a core over each of the last {@link #IDLE} seconds; start-up
     * counts as activity, so the first rest comes once start-up has settled.
     */
    public static final class Watch {
        static final Duration IDLE = Duration.ofSeconds(5);
        static final double IDLE_CPU_SHARE = 0.05;
        static final long REGROWTH = 16L * 1024 * 1024;

        private long lastCpuNanos = -1;
        private long lastSampleNanos;
        private int idleSeconds;
        private long restedAt = -1;  // resident bytes after the last rest; -1: never rested

        /** One sample; true: rest now (and call {@link #rested} with the resident bytes after). */
        public boolean sample(long nowNanos, long cpuNanos, long residentBytes) {
            if (lastCpuNanos >= 0) {
                long wall = nowNanos - lastSampleNanos;
                boolean idle = wall > 0 && (cpuNanos - lastCpuNanos) < IDLE_CPU_SHARE * wall;
                idleSeconds = idle ? idleSeconds + 1 : 0;
            }
            lastCpuNanos = cpuNanos;
            lastSampleNanos = nowNanos;
            boolean grown = restedAt < 0 || residentBytes > restedAt + REGROWTH;
            return idleSeconds >= IDLE.toSeconds() && grown;
        }

        /** After a rest: what it left resident, the mark to grow past before the next one. */
        public void rested(long residentBytes) {
            restedAt = residentBytes;
            idleSeconds = 0;
            lastCpuNanos = -1;  // the rest's own collections are not activity
        }
    }

    private final Watch watch = new Watch();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "resting-memory");
        t.setDaemon(true);
        return t;
    });
    private final OperatingSystemMXBean os = ManagementFactory.getPlatformMXBean(OperatingSystemMXBean.class);

    private RestingMemory() {
    }

    /** Starts the watch; {@link #close()} stops it. */
    public static RestingMemory start() {
        RestingMemory memory = new RestingMemory();
        memory.timer.scheduleWithFixedDelay(memory::tick, 1, 1, TimeUnit.SECONDS);
        return memory;
    }

    private void tick() {
        try {
            if (watch.sample(System.nanoTime(), os.getProcessCpuTime(), residentBytes())) {
                long before = residentBytes();
                long started = System.nanoTime();
                rest();
                long millis = (System.nanoTime() - started) / 1_000_000;
                long after = residentBytes();
                watch.rested(after);
                LOGGER.info("idle: memory given back, resident {} MiB -> {} MiB ({} ms)", before >> 20, after >> 20, millis);
            }
        } catch (Exception | LinkageError e) {
            LOGGER.warn("idle: could not give memory back ({}); not trying again", e.toString());
            timer.shutdown();
        }
    }

    /** Collects with a tight heap, then trims glibc's free memory. Runs on the caller's thread. */
    public static void rest() throws Exception {
        HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        String min = vm.getVMOption("MinHeapFreeRatio").getValue();
        String max = vm.getVMOption("MaxHeapFreeRatio").getValue();
        // Min before max going down and max before min going up: the JVM refuses min > max.
        vm.setVMOption(TIGHT[0], TIGHT[1]);
        vm.setVMOption(TIGHT[2], TIGHT[3]);
        try {
            for (int i = 0; i < FULL_COLLECTIONS; i++) {
                System.gc();
            }
        } finally {
            vm.setVMOption("MaxHeapFreeRatio", max);
            vm.setVMOption("MinHeapFreeRatio", min);
        }
        ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"),
            "systemTrimNativeHeap", new Object[] {new String[0]}, new String[] {String[].class.getName()});
    }

    /** Resident memory of this process (Linux: {@code VmRSS} of /proc/self/status, in kB). */
    static long residentBytes() throws java.io.IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.substring(6).replace("kB", "").trim()) * 1024;
            }
        }
        throw new java.io.IOException("no VmRSS in /proc/self/status");
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
