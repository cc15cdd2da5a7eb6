package dev.krafter.relay.events;

import java.time.Duration;

/** A result and how long it took to get. */
public record Timed<T>(T value, Duration elapsed) {
}
