package dev.krafter.relay.mailets;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A header field to add, written as {@code Name: value} CRLF. The value is ASCII; it may be folded
 * (CRLF followed by a space or tab) but may not otherwise contain CR or LF — a value from
 * configuration can never inject a header or end the header section.
 */
record HeaderField(String name, String value) {
    private static final Pattern NAME = Pattern.compile("[!-9;-~]+"); // printable ASCII without ':'
    private static final Pattern VALUE = Pattern.compile("([\\t\\x20-\\x7e]|\\r\\n[ \\t])*");

    HeaderField {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("not a header field name: " + name);
        }
        if (!VALUE.matcher(value).matches()) {
            throw new IllegalArgumentException("header value must be ASCII, folded with CRLF + white space only: " + name);
        }
    }

    byte[] toBytes() {
        return (name + ": " + value + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }
}
