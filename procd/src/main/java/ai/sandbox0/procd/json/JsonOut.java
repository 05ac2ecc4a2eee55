package ai.sandbox0.procd.json;

import io.avaje.json.stream.BytesJsonWriter;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Writing the wire records field by field, in the order the contract lists them. Null fields are
 * left out, as Jackson's {@code NON_NULL} does for the rest of the server; timestamps are RFC 3339
 * in UTC, as {@link Instant#toString()} writes them.
 */
public final class JsonOut {

    private final BytesJsonWriter writer = JsonIn.STREAM.bufferedWriterAsBytes();

    JsonOut() {
    }

    byte[] bytes() {
        writer.close();
        return writer.result();
    }

    public JsonOut begin() {
        writer.beginObject();
        return this;
    }

    public void end() {
        writer.endObject();
    }

    public JsonOut string(String name, String value) {
        if (value != null) {
            writer.name(name);
            writer.value(value);
        }
        return this;
    }

    public JsonOut bool(String name, Boolean value) {
        if (value != null) {
            writer.name(name);
            writer.value(value.booleanValue());
        }
        return this;
    }

    public JsonOut number(String name, Integer value) {
        if (value != null) {
            writer.name(name);
            writer.value(value.intValue());
        }
        return this;
    }

    public JsonOut number(String name, Long value) {
        if (value != null) {
            writer.name(name);
            writer.value(value.longValue());
        }
        return this;
    }

    public JsonOut number(String name, Double value) {
        if (value != null) {
            writer.name(name);
            writer.value(value.doubleValue());
        }
        return this;
    }

    public JsonOut time(String name, Instant value) {
        return string(name, value == null ? null : value.toString());
    }

    public <E extends Enum<E>> JsonOut enumValue(String name, WireEnum<E> values, E value) {
        return string(name, value == null ? null : values.wire(value));
    }

    public JsonOut strings(String name, List<String> values) {
        return list(name, values, (out, v) -> out.writer.value(v));
    }

    public JsonOut stringMap(String name, Map<String, String> values) {
        if (values != null) {
            writer.name(name);
            writer.beginObject();
            values.forEach((k, v) -> {
                if (v != null) {
                    writer.name(k);
                    writer.value(v);
                }
            });
            writer.endObject();
        }
        return this;
    }

    public <T> JsonOut object(String name, T value, BiConsumer<JsonOut, T> writing) {
        if (value != null) {
            writer.name(name);
            writing.accept(this, value);
        }
        return this;
    }

    public <T> JsonOut list(String name, List<T> values, BiConsumer<JsonOut, T> element) {
        if (values != null) {
            writer.name(name);
            writer.beginArray();
            for (T v : values) {
                element.accept(this, v);
            }
            writer.endArray();
        }
        return this;
    }
}
