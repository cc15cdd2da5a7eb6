package dev.krafter.relay.events;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import org.slf4j.Logger;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.JsonWriteFeature;

/**
 * Writes each event as one JSON object on one line to the {@value #LOGGER_NAME} logger (conf/logback.xml
 * sends it to var/log/events.jsonl with a {@code %msg%n} pattern). The JSON is built here with Jackson,
 * so the line is exactly one object whatever the appender: strings are escaped, non-ASCII as \\u, no
 * raw newline can get in.
 */
public final class EventLog {
    public static final String LOGGER_NAME = "krafter.events";

    private static final JsonFactory JSON = JsonFactory.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build();

    private final Consumer<String> sink;
    private final Clock clock;
    private final BooleanSupplier enabled;

    /** @param sink receives each finished line (one JSON object, no newline) */
    public EventLog(Consumer<String> sink, Clock clock) {
        this(sink, clock, () -> true);
    }

    private EventLog(Consumer<String> sink, Clock clock, BooleanSupplier enabled) {
        this.sink = Objects.requireNonNull(sink, "sink");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.enabled = enabled;
    }

    /** Lines logged at INFO to {@code logger}: how the server writes them. No JSON is built while it is off. */
    public static EventLog toLogger(Logger logger, Clock clock) {
        return new EventLog(logger::info, clock, logger::isInfoEnabled);
    }

    /** Starts an event line: {@code ts} and {@code event} first, then the fields added, nulls left out. */
    public Line event(String event) {
        return new Line(event);
    }

    /** The fields of one event, in the order added. Values: String, Number, Boolean (others as text). */
    public final class Line {
        private final Map<String, Object> fields = new LinkedHashMap<>();

        private Line(String event) {
            fields.put("ts", Instant.now(clock).truncatedTo(ChronoUnit.MILLIS).toString());
            fields.put("event", Objects.requireNonNull(event, "event"));
        }

        public Line with(String name, Object value) {
            if (value != null) {
                fields.put(name, value);
            }
            return this;
        }

        public void write() {
            if (enabled.getAsBoolean()) {
                sink.accept(toJson(fields));
            }
        }
    }

    static String toJson(Map<String, Object> fields) {
        StringWriter out = new StringWriter(256);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            for (Map.Entry<String, Object> field : fields.entrySet()) {
                Object value = field.getValue();
                if (value instanceof Integer || value instanceof Long) {
                    json.writeNumberField(field.getKey(), ((Number) value).longValue());
                } else if (value instanceof Number number) {
                    json.writeNumberField(field.getKey(), number.doubleValue());
                } else if (value instanceof Boolean flag) {
                    json.writeBooleanField(field.getKey(), flag);
                } else {
                    json.writeStringField(field.getKey(), value.toString());
                }
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return out.toString();
    }
}
