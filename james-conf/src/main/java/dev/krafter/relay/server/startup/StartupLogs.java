package dev.krafter.relay.server.startup;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * For the CLI only: while the server starts, James's own ERROR logs of a failed start (each with a
 * full stack trace, the same failure logged two or three times) are held back; the CLI prints one
 * paragraph instead and keeps the stack trace in {@code var/start-up-error.log}.
 */
public final class StartupLogs implements AutoCloseable {
    private static final Set<String> QUIET = Set.of(
        "org.apache.james.GuiceJamesServer",
        "org.apache.james.mailetcontainer.lib.AbstractStateMailetProcessor");

    private final LoggerContext context;
    private final TurboFilter filter;

    private StartupLogs(LoggerContext context, TurboFilter filter) {
        this.context = context;
        this.filter = filter;
    }

    public static StartupLogs quietJamesStartErrors() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return new StartupLogs(null, null);
        }
        TurboFilter filter = new TurboFilter() {
            @Override
            public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
                return level == Level.ERROR && QUIET.contains(logger.getName()) ? FilterReply.DENY : FilterReply.NEUTRAL;
            }
        };
        filter.setName("krafter-start-up");
        filter.start();
        context.addTurboFilter(filter);
        return new StartupLogs(context, filter);
    }

    /** Writes the stack trace to {@code <home>/var/start-up-error.log}; empty when that is not possible. */
    public static Optional<Path> writeTrace(Path home, Throwable failure) {
        Path file = home.resolve("var/start-up-error.log");
        StringWriter trace = new StringWriter();
        failure.printStackTrace(new PrintWriter(trace));
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, trace.toString());
            return Optional.of(file);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        if (context != null) {
            context.getTurboFilterList().remove(filter);
            filter.stop();
        }
    }
}
