package dev.krafter.relay.mailets;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The header section of a message as raw bytes, split into fields, so fields can be dropped or added
 * without touching the bytes of any other field (no decoding, no re-folding, no re-encoding).
 *
 * <p>A field is its first line plus every following line that starts with a space or a tab (a folded
 * continuation), line terminators included. The section ends at the first empty line (the separator,
 * kept as it was: CRLF, or a bare LF) or at the end of the stream (a message without a body).
 * {@link #read} consumes exactly the header section and the separator, so the stream is left at the
 * first byte of the body.
 */
final class HeaderBlock {
    /** A header section this large is not mail; refusing it bounds what one message can hold on the heap. */
    static final int MAX_HEADER_BYTES = 1024 * 1024;

    private static final byte[] CRLF = {'\r', '\n'};

    /** One header field: its raw bytes and its name (empty for a line that is not {@code name:}). */
    private record Field(byte[] raw, Optional<String> name) {
        boolean endsWithLineBreak() {
            return raw.length > 0 && raw[raw.length - 1] == '\n';
        }
    }

    private final List<Field> fields;
    private final byte[] separator;

    private HeaderBlock(List<Field> fields, byte[] separator) {
        this.fields = fields;
        this.separator = separator;
    }

    /** Reads the header section and its separator; {@code in} should be buffered (read byte by byte). */
    static HeaderBlock read(InputStream in) throws IOException {
        List<ByteArrayOutputStream> rawFields = new ArrayList<>();
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        long total = 0;
        byte[] separator = new byte[0];
        while (true) {
            line.reset();
            int b;
            while ((b = in.read()) != -1) {
                line.write(b);
                if (b == '\n') {
                    break;
                }
            }
            if (line.size() == 0) {
                break; // end of stream: the message has no body
            }
            total += line.size();
            if (total > MAX_HEADER_BYTES) {
                throw new IOException("header section larger than " + MAX_HEADER_BYTES + " bytes");
            }
            byte[] bytes = line.toByteArray();
            if (isEmptyLine(bytes)) {
                separator = bytes;
                break;
            }
            boolean continuation = (bytes[0] == ' ' || bytes[0] == '\t') && !rawFields.isEmpty();
            if (!continuation) {
                rawFields.add(new ByteArrayOutputStream(bytes.length));
            }
            rawFields.get(rawFields.size() - 1).write(bytes);
            if (b == -1) {
                break; // last line without a terminator, end of stream
            }
        }
        List<Field> fields = new ArrayList<>(rawFields.size());
        for (ByteArrayOutputStream raw : rawFields) {
            byte[] bytes = raw.toByteArray();
            fields.add(new Field(bytes, nameOf(bytes)));
        }
        return new HeaderBlock(fields, separator);
    }

    /** Whether any field's name satisfies {@code names} (given lower-case). */
    boolean anyNamed(Predicate<String> names) {
        return fields.stream().anyMatch(field -> field.name().filter(names).isPresent());
    }

    /**
     * The header section with the fields named by {@code remove} (lower-case names) left out and
     * {@code add} appended after the remaining fields, then the original separator. An appended field
     * always ends in CRLF; if the section had no separator (no body), none is invented.
     */
    byte[] render(Predicate<String> remove, List<HeaderField> add) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        Field last = null;
        for (Field field : fields) {
            if (field.name().filter(remove).isEmpty()) {
                out.writeBytes(field.raw());
                last = field;
            }
        }
        if (!add.isEmpty() && last != null && !last.endsWithLineBreak()) {
            out.writeBytes(CRLF); // the stream ended inside the last kept line
        }
        for (HeaderField field : add) {
            out.writeBytes(field.toBytes());
        }
        out.writeBytes(separator);
        return out.toByteArray();
    }

    private static boolean isEmptyLine(byte[] line) {
        return (line.length == 1 && line[0] == '\n') || (line.length == 2 && line[0] == '\r' && line[1] == '\n');
    }

    /** The field name, lower-cased: the bytes before the colon, trailing white space dropped (obsolete syntax). */
    private static Optional<String> nameOf(byte[] raw) {
        for (int i = 0; i < raw.length; i++) {
            byte b = raw[i];
            if (b == ':') {
                int end = i;
                while (end > 0 && (raw[end - 1] == ' ' || raw[end - 1] == '\t')) {
                    end--;
                }
                if (end == 0) {
                    return Optional.empty();
                }
                return Optional.of(new String(raw, 0, end, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT));
            }
            if (b == '\r' || b == '\n') {
                break;
            }
        }
        return Optional.empty();
    }
}
