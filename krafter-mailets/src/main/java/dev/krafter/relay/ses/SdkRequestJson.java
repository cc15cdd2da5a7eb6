package dev.krafter.relay.ses;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Collection;
import java.util.Map;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.SdkField;
import software.amazon.awssdk.core.SdkPojo;
import software.amazon.awssdk.core.protocol.MarshallLocation;
import software.amazon.awssdk.core.util.SdkAutoConstructList;
import software.amazon.awssdk.core.util.SdkAutoConstructMap;

/**
 * Writes an SDK request model as the JSON body the SDK puts on the wire for a restJson1 service: the
 * model's own field metadata gives the wire names ({@code FromEmailAddress}, {@code Destination},
 * {@code EmailTags}, …), unset fields are left out as the SDK leaves them out. Only payload members
 * are written (not path, header or query members).
 */
final class SdkRequestJson {
    private static final JsonFactory JSON = new JsonFactory();

    private SdkRequestJson() {
    }

    /** Writes the JSON to {@code out}, flushed; {@code out} stays open (the caller forces it to disk). */
    static void write(SdkPojo pojo, OutputStream out) throws IOException {
        try (JsonGenerator json = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            json.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            json.useDefaultPrettyPrinter();
            writePojo(pojo, json);
        }
    }

    private static void writePojo(SdkPojo pojo, JsonGenerator json) throws IOException {
        json.writeStartObject();
        for (SdkField<?> field : pojo.sdkFields()) {
            if (field.location() != MarshallLocation.PAYLOAD) {
                continue;
            }
            Object value = field.getValueOrDefault(pojo);
            if (value == null || value instanceof SdkAutoConstructList || value instanceof SdkAutoConstructMap) {
                continue;
            }
            json.writeFieldName(field.locationName());
            writeValue(value, json);
        }
        json.writeEndObject();
    }

    private static void writeValue(Object value, JsonGenerator json) throws IOException {
        if (value instanceof SdkPojo pojo) {
            writePojo(pojo, json);
        } else if (value instanceof String text) {
            json.writeString(text);
        } else if (value instanceof Boolean bool) {
            json.writeBoolean(bool);
        } else if (value instanceof Integer || value instanceof Long) {
            json.writeNumber(((Number) value).longValue());
        } else if (value instanceof SdkBytes bytes) {
            json.writeBinary(bytes.asByteArrayUnsafe());
        } else if (value instanceof Collection<?> list) {
            json.writeStartArray();
            for (Object element : list) {
                writeValue(element, json);
            }
            json.writeEndArray();
        } else if (value instanceof Map<?, ?> map) {
            json.writeStartObject();
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                json.writeFieldName(String.valueOf(entry.getKey()));
                writeValue(entry.getValue(), json);
            }
            json.writeEndObject();
        } else {
            throw new IllegalArgumentException("no JSON form for " + value.getClass().getName());
        }
    }
}
