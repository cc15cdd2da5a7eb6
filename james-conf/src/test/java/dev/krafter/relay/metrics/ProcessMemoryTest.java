package dev.krafter.relay.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessMemoryTest {
    @Test
    void vmRssIsReadInBytes(@TempDir Path dir) throws Exception {
        Path status = Files.writeString(dir.resolve("status"), "Name:\tjava\nVmPeak:\t 4000000 kB\nVmRSS:\t  183424 kB\nThreads:\t42\n");
        assertThat(ProcessMemory.residentBytes(status)).hasValue(183424L * 1024);
    }

    @Test
    void noFigureWithoutProcfsOrTheLine(@TempDir Path dir) throws Exception {
        assertThat(ProcessMemory.residentBytes(dir.resolve("missing"))).isEmpty();
        assertThat(ProcessMemory.residentBytes(Files.writeString(dir.resolve("status"), "Name:\tjava\n"))).isEmpty();
        assertThat(ProcessMemory.residentBytes(Path.of("/proc/self/status")).orElseThrow()).isPositive();
    }
}
