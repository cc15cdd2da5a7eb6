package dev.krafter.relay.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs real client programs (swaks, python3 …) against the relay and collects what they printed. */
public final class Clients {
    private static final Pattern EMAIL_ID = Pattern.compile("id=([0-9a-fA-F-]{36})");

    public record Result(int exitCode, String output) {
        /** The email id from a {@code 250 2.0.0 OK id=…} reply in the output. */
        public String emailId() {
            Matcher m = EMAIL_ID.matcher(output);
            if (!m.find()) {
                throw new AssertionError("no 250 … id= in client output:\n" + output);
            }
            return m.group(1);
        }
    }

    private Clients() {
    }

    public static Result run(Duration timeout, Map<String, String> env, String... command) throws IOException, InterruptedException {
        // Output goes to a file so that a client that hangs cannot block us before the timeout applies.
        Path output = Files.createTempFile("krafter-client", ".out");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
            builder.environment().putAll(env);
            Process process = builder.start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " did not finish in " + timeout + ":\n"
                    + Files.readString(output, StandardCharsets.UTF_8));
            }
            return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(output);
        }
    }

    /** The message swaks sent, rebuilt from its transcript (the " ~> " lines between 354 and "."). */
    public static byte[] swaksMessage(String transcript) {
        List<String> lines = new ArrayList<>();
        boolean inData = false;
        for (String rawLine : transcript.split("\n", -1)) {
            String line = rawLine.endsWith("\r") ? rawLine.substring(0, rawLine.length() - 1) : rawLine;
            if (line.startsWith("<~  354")) {
                inData = true;
            } else if (inData && line.equals(" ~> .")) {
                break;
            } else if (inData && line.startsWith(" ~> ")) {
                lines.add(line.substring(4));
            } else if (inData && line.equals(" ~>")) {
                lines.add("");
            }
        }
        StringBuilder message = new StringBuilder();
        for (String line : lines) {
            message.append(line.startsWith("..") ? line.substring(1) : line).append("\r\n");
        }
        return message.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Waits for the outbox to hold {@code <emailId>.eml} and returns its bytes. */
    public static byte[] awaitOutbox(Path outbox, String emailId) throws IOException, InterruptedException {
        Path eml = outbox.resolve(emailId + ".eml");
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!Files.exists(eml)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + eml + " after 20 s");
            }
            Thread.sleep(50);
        }
        return Files.readAllBytes(eml);
    }

    /** How many messages the outbox holds ({@code .eml} files; 0 before the directory exists). */
    public static long outboxMessages(Path outbox) throws IOException {
        if (!Files.isDirectory(outbox)) {
            return 0;
        }
        try (java.util.stream.Stream<Path> files = Files.list(outbox)) {
            return files.filter(p -> p.toString().endsWith(".eml")).count();
        }
    }

    /** A client script shipped with the tests (src/test/clients/…). */
    public static Path script(String name) {
        return dev.krafter.relay.db.TestDatabase.repositoryRoot().resolve("james-conf/src/test/clients").resolve(name);
    }
}
