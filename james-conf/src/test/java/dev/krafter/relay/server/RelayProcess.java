package dev.krafter.relay.server;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.krafter.relay.cli.KrafterCli;

/**
 * The relay as its own operating-system process ({@code KrafterCli run}, the test class path),
 * so that a test can {@code kill -9} it and start it again on the same home and database.
 */
public final class RelayProcess implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("listening on .*:(\\d+) \\(implicit TLS\\)");

    private final Process process;
    private final Path home;
    private final int port;
    private final StringBuffer log = new StringBuffer();

    private RelayProcess(Process process, Path home) {
        this.process = process;
        this.home = home;
        CompletableFuture<Integer> listening = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    log.append(line).append('\n');
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        listening.complete(Integer.parseInt(m.group(1)));
                    }
                }
            } catch (IOException e) {
                // the process is gone
            }
            listening.completeExceptionally(new IllegalStateException("relay exited before listening:\n" + log));
        }, "relay-process-log");
        reader.setDaemon(true);
        reader.start();
        try {
            port = listening.get(90, TimeUnit.SECONDS);
        } catch (Exception e) {
            process.destroyForcibly();
            throw new IllegalStateException("relay did not start:\n" + log, e);
        }
    }

    /** Waits for a relay process started some other way (a distribution's launcher) to listen. */
    public static RelayProcess attach(Process process) {
        return new RelayProcess(process, null);
    }

    /** Starts {@code KrafterCli run} with the given environment (KRAFTER_HOME, KRAFTER_DB_*, …). */
    public static RelayProcess start(Map<String, String> env) throws IOException {
        return start(env, List.of("-Xmx512m"));
    }

    /** As {@link #start(Map)}, with these JVM options instead of {@code -Xmx512m}. */
    public static RelayProcess start(Map<String, String> env, List<String> jvmOptions) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(jvmOptions);
        command.addAll(List.of("-Dlogback.configurationFile=" + env.get("KRAFTER_HOME") + "/conf/logback.xml",
            "-cp", System.getProperty("java.class.path"), KrafterCli.class.getName(), "run"));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(env);
        return new RelayProcess(builder.start(), Path.of(env.get("KRAFTER_HOME")));
    }

    /** The operating-system process id (for /proc and jcmd). */
    public long pid() {
        return process.pid();
    }

    public int port() {
        return port;
    }

    public String log() {
        return log.toString();
    }

    /** The relay's event log so far (var/log/events.jsonl of its home): one JSON object per decision and delivery. */
    public java.util.List<String> events() {
        Path file = home.resolve("var/log/events.jsonl");
        try {
            return java.nio.file.Files.exists(file) ? java.nio.file.Files.readAllLines(file, StandardCharsets.UTF_8) : java.util.List.of();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** SIGKILL: no shutdown hook, no flush, no goodbye. */
    public void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(Duration.ofSeconds(30).toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
        }
    }
}
