package ai.sandbox0.procd.json;

import io.avaje.json.JsonEofException;
import io.avaje.json.JsonException;
import io.avaje.json.JsonReader;
import io.avaje.json.stream.BufferRecycleStrategy;
import io.avaje.json.stream.JsonStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Strict reading of one JSON document into the wire records, without reflection: each codec says
 * field by field what it reads. Types are not coerced (a string where an integer belongs, a fraction
 * or an out-of-range number for an int32, an unknown enum value are problems), unknown fields are
 * skipped, and every problem names the field the way the gateway does ({@code 'cmd.command[0]'}).
 */
public final class JsonIn {

    /**
     * Without buffer recycling: avaje's default pool (thread-locals, and a shared pool for virtual threads)
     * handed one writer's buffer to another while the first still read its result, so concurrent requests
     * answered each other's bodies. A request's buffers are a few KiB; allocating them is cheap.
     */
    static final JsonStream STREAM = JsonStream.builder().bufferRecycling(BufferRecycleStrategy.NO_RECYCLING).build();
    private static final byte[] EMPTY_OBJECT = {'{', '}'};

    /** How an object's fields are read: called once per field name, it reads (or skips) the value. */
    @FunctionalInterface
    public interface Fields {
        void field(String name);
    }

    private final JsonReader reader;
    private final ArrayList<Object> path = new ArrayList<>();

    private JsonIn(JsonReader reader) {
        this.reader = reader;
    }

    /** Reads a whole body with {@code root}; an empty body reads as {@code {}}. */
    public static <T> T read(byte[] json, Function<JsonIn, T> root) {
        String start = startOf(json);
        byte[] body = start.isEmpty() ? EMPTY_OBJECT : json;
        if (!start.isEmpty() && !start.startsWith("{")) {
            boolean otherJson = start.matches("(?s)([\\[\"\\-0-9]|true|false|null).*");
            throw new JsonProblem(otherJson ? "request body must be an object in JSON"
                    : "malformed JSON: a body must start with '{'");
        }
        try (JsonReader reader = STREAM.reader(body)) {
            JsonIn in = new JsonIn(reader);
            T value = root.apply(in);
            if (reader.hasNextStreamElement()) {
                throw new JsonProblem("malformed JSON: unexpected content after the object");
            }
            return value;
        } catch (JsonEofException e) {
            throw new JsonProblem("malformed JSON: the body ends inside a value");
        } catch (JsonException e) {
            throw new JsonProblem("malformed JSON: " + e.getMessage());
        }
    }

    /** Reads an object field by field; null reads as null. */
    public <T> T object(Function<JsonIn, T> reading) {
        if (nullValue()) {
            return null;
        }
        expect(JsonReader.Token.BEGIN_OBJECT, "an object");
        return reading.apply(this);
    }

    /** Within {@link #object}: visits each field; a field the codec does not know must be {@link #skip}ped. */
    public void fields(Fields fields) {
        reader.beginObject();
        while (reader.hasNextField()) {
            String name = reader.nextField();
            path.add(name);
            fields.field(name);
            path.removeLast();
        }
        reader.endObject();
    }

    public void skip() {
        reader.skipValue();
    }

    public String string() {
        if (nullValue()) {
            return null;
        }
        expect(JsonReader.Token.STRING, "a string");
        return reader.readString();
    }

    /**
     * A string of any length: the parser keeps at most 50 000 characters of one string, so a longer one
     * (a function's source) is taken as its raw token and unescaped here.
     */
    public String longString() {
        if (nullValue()) {
            return null;
        }
        expect(JsonReader.Token.STRING, "a string");
        String raw = reader.readRaw();
        if (raw.length() < 2 || raw.charAt(0) != '"' || raw.charAt(raw.length() - 1) != '"') {
            throw problem("expected a string");
        }
        StringBuilder out = new StringBuilder(raw.length() - 2);
        for (int i = 1; i < raw.length() - 1; i++) {
            char c = raw.charAt(i);
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (++i >= raw.length() - 1) {
                throw problem("a string ends inside an escape");
            }
            switch (raw.charAt(i)) {
                case '"' -> out.append('"');
                case '\\' -> out.append('\\');
                case '/' -> out.append('/');
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> {
                    if (i + 5 > raw.length() - 1) {
                        throw problem("a string ends inside an escape");
                    }
                    try {
                        out.append((char) Integer.parseInt(raw, i + 1, i + 5, 16));
                    } catch (NumberFormatException e) {
                        throw problem("a bad \\u escape");
                    }
                    i += 4;
                }
                default -> throw problem("a bad escape in a string");
            }
        }
        return out.toString();
    }

    public Boolean bool() {
        if (nullValue()) {
            return null;
        }
        expect(JsonReader.Token.BOOLEAN, "a boolean");
        return reader.readBoolean();
    }

    /** An int32 written as an integer literal: {@code 5}, not {@code 5.0}, {@code 5e0} or {@code "5"}. */
    public Integer int32() {
        if (nullValue()) {
            return null;
        }
        expect(JsonReader.Token.NUMBER, "an integer");
        String raw = reader.readRaw();
        try {
            return Integer.parseInt(raw);
        } catch (NumberFormatException e) {
            throw problem("expected an integer");
        }
    }

    public <E extends Enum<E>> E enumValue(WireEnum<E> values) {
        String wire = string();
        if (wire == null) {
            return null;
        }
        E value = values.parse(wire);
        if (value == null) {
            throw problem("unknown value \"" + wire + "\", expected one of " + values.expected());
        }
        return value;
    }

    public <T> List<T> list(Function<JsonIn, T> element) {
        if (nullValue()) {
            return null;
        }
        expect(JsonReader.Token.BEGIN_ARRAY, "an array");
        List<T> values = new ArrayList<>();
        reader.beginArray();
        while (reader.hasNextElement()) {
            path.add(values.size());
            values.add(element.apply(this));
            path.removeLast();
        }
        reader.endArray();
        return Collections.unmodifiableList(values);
    }

    public List<String> strings() {
        return list(JsonIn::string);
    }

    /** An object of strings, in the order written. */
    public Map<String, String> stringMap() {
        if (nullValue()) {
            return null;
        }
        expect(JsonReader.Token.BEGIN_OBJECT, "an object");
        Map<String, String> values = new LinkedHashMap<>();
        fields(name -> values.put(name, string()));
        return Collections.unmodifiableMap(values);
    }

    private boolean nullValue() {
        return reader.isNullValue();
    }

    private JsonReader.Token token() {
        return reader.currentToken();
    }

    private void expect(JsonReader.Token token, String what) {
        if (token() != token) {
            throw problem("expected " + what);
        }
    }

    private JsonProblem problem(String expectation) {
        if (path.isEmpty()) {
            return new JsonProblem("invalid request body: " + expectation);
        }
        StringBuilder field = new StringBuilder();
        for (Object step : path) {
            if (step instanceof Integer index) {
                field.append('[').append(index).append(']');
            } else {
                if (!field.isEmpty()) {
                    field.append('.');
                }
                field.append(step);
            }
        }
        return new JsonProblem("invalid value for field '" + field + "': " + expectation);
    }

    /** Up to five characters from the first that is not white space; empty for a blank body. */
    private static String startOf(byte[] b) {
        int i = 0;
        while (i < b.length && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')) {
            i++;
        }
        return new String(b, i, Math.min(5, b.length - i), StandardCharsets.ISO_8859_1);
    }
}
