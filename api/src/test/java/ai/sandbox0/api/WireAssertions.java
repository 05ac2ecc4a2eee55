package ai.sandbox0.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Round trips through {@link Json#mapper()}, compared as JSON trees so that casing and omissions count. */
public final class WireAssertions {

    private WireAssertions() {
    }

    /** A JSON example from {@code src/test/resources/examples}. */
    public static String example(String name) {
        try (InputStream in = WireAssertions.class.getResourceAsStream("/examples/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no example " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads {@code json} as {@code type}, writes it back and asserts the result is the same JSON. */
    public static <T> T roundTrip(String json, Class<T> type) {
        try {
            T value = Json.mapper().readValue(json, type);
            assertSameJson(Json.writeString(value), json);
            return value;
        } catch (JsonProcessingException e) {
            throw new AssertionError("cannot read " + type.getSimpleName() + ": " + e.getOriginalMessage(), e);
        }
    }

    public static <T> T roundTrip(String json, TypeReference<T> type) {
        try {
            T value = Json.mapper().readValue(json, type);
            assertSameJson(Json.writeString(value), json);
            return value;
        } catch (JsonProcessingException e) {
            throw new AssertionError("cannot read " + type.getType() + ": " + e.getOriginalMessage(), e);
        }
    }

    /** What {@code value} looks like on the wire. */
    public static JsonNode written(Object value) {
        return tree(Json.writeString(value));
    }

    public static JsonNode tree(String json) {
        try {
            return Json.mapper().readTree(json);
        } catch (JsonProcessingException e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }

    public static void assertSameJson(String actual, String expected) {
        assertThat(tree(actual)).as("written JSON").isEqualTo(tree(expected));
    }
}
