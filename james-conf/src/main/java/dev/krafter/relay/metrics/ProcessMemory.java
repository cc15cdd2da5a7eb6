package dev.krafter.relay.metrics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;

import javax.inject.Inject;
import javax.inject.Singleton;

import org.apache.james.metrics.api.GaugeRegistry;

/**
 * The process's resident memory as the gauge {@value #RSS}, the name Prometheus's own clients give
 * it. James exports the JVM's heap and pools but not what the kernel counts (heap, metaspace, thread
 * stacks, direct buffers, malloc arenas together), and that is what runs a container out of memory.
 * Read from /proc/self/status at each scrape (a few microseconds); not registered where there is none.
 */
@Singleton
public final class ProcessMemory {
    public static final String RSS = "process_resident_memory_bytes";
    private static final Path STATUS = Path.of("/proc/self/status");

    @Inject
    ProcessMemory(GaugeRegistry gauges) {
        if (residentBytes(STATUS).isPresent()) {
            gauges.register(RSS, () -> residentBytes(STATUS).orElse(0));
        }
    }

    /** VmRSS of a /proc/<pid>/status file, in bytes ("VmRSS:  183424 kB"). */
    static OptionalLong residentBytes(Path status) {
        try {
            List<String> lines = Files.readAllLines(status);
            for (String line : lines) {
                if (line.startsWith("VmRSS:")) {
                    String[] fields = line.substring("VmRSS:".length()).trim().split("\\s+");
                    return OptionalLong.of(Long.parseLong(fields[0]) * 1024);
                }
            }
        } catch (IOException | RuntimeException e) {
            // no procfs (not Linux) or an unexpected format: no figure rather than a wrong one
        }
        return OptionalLong.empty();
    }
}
