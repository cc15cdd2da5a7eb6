package dev.krafter.relay.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;

import dev.krafter.relay.server.RelaySettings;


/** A {@code bin/krafter-relay} command run in-process (KrafterCli.execute): its exit status and stdout. */
public record CliRun(int exit, String out) {
    public static CliRun of(RelaySettings settings, String... args) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8)) {
            int exit = new KrafterCli(settings, print).execute(new ArrayDeque<>(List.of(args)));
            return new CliRun(exit, out.toString(StandardCharsets.UTF_8));
        }
    }
}
