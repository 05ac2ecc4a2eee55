package ai.sandbox0.server.http;

import ai.sandbox0.api.Json;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DatabindException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.time.temporal.Temporal;
import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Turns Jackson's failures into 400 messages that name the field and the expected JSON type, and
 * never the Java classes behind them.
 */
final class JsonProblems {

    /** Values and creators' messages quoted from a body are cut here: the body may be megabytes of one value. */
    private static final int VALUE_ECHO_MAX = 64;
    private static final int MESSAGE_ECHO_MAX = 512;

    private JsonProblems() {
    }

    static ApiException badRequest(JsonProcessingException e) {
        return ApiException.badRequest(describe(e));
    }

    static String describe(JsonProcessingException e) {
        return describe(e, "");
    }

    /** As {@link #describe(JsonProcessingException)}, for a value found at {@code prefix} of the body. */
    static String describe(JsonProcessingException e, String prefix) {
        if (e instanceof StreamReadException) {
            return "malformed JSON" + at(e.getLocation()) + ": " + firstLine(e.getOriginalMessage());
        }
        if (e instanceof DatabindException databind) {
            String field = fieldPath(databind);
            if (!prefix.isEmpty()) {
                field = field.isEmpty() ? prefix : field.startsWith("[") ? prefix + field : prefix + "." + field;
            }
            Class<?> target = e instanceof MismatchedInputException mismatch ? mismatch.getTargetType() : null;
            if (e instanceof InvalidFormatException invalid && target != null && target.isEnum()) {
                return "invalid value " + quote(invalid.getValue()) + " for field '" + field + "': expected one of "
                        + enumValues(target);
            }
            if (e instanceof ValueInstantiationException && e.getCause() instanceof IllegalArgumentException invalid) {
                // the contract's own creators (enums, for one) explain what they expected
                return "invalid value for field '" + field + "': " + clip(invalid.getMessage(), MESSAGE_ECHO_MAX);
            }
            if (field.isEmpty()) {
                return "request body must be " + (target == null ? "an object" : jsonType(target)) + " in JSON";
            }
            if (target != null) {
                return "invalid value for field '" + field + "': expected " + jsonType(target);
            }
            return "invalid value for field '" + field + "'";
        }
        return "invalid JSON body";
    }

    private static String fieldPath(DatabindException e) {
        var path = new StringBuilder();
        for (JsonMappingException.Reference ref : ((JsonMappingException) e).getPath()) {
            if (ref.getFieldName() != null) {
                if (!path.isEmpty()) {
                    path.append('.');
                }
                path.append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                path.append('[').append(ref.getIndex()).append(']');
            }
        }
        return path.toString();
    }

    static String jsonType(Class<?> type) {
        if (type == String.class || type == Character.class || type == char.class) {
            return "a string";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "a boolean";
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class
                || type == Short.class || type == short.class) {
            return "an integer";
        }
        if (Number.class.isAssignableFrom(type) || type == double.class || type == float.class) {
            return "a number";
        }
        if (Temporal.class.isAssignableFrom(type)) {
            return "an RFC 3339 timestamp string";
        }
        if (type.isEnum()) {
            return "one of " + enumValues(type);
        }
        if (type.isArray() || Collection.class.isAssignableFrom(type)) {
            return "an array";
        }
        if (Map.class.isAssignableFrom(type) || type.isRecord()) {
            return "an object";
        }
        return "a value of another type";
    }

    private static String enumValues(Class<?> type) {
        return Arrays.stream(type.getEnumConstants())
                .map(constant -> Json.writeString(constant).replace("\"", ""))
                .collect(Collectors.joining(", "));
    }

    private static String at(JsonLocation location) {
        if (location == null || location.getLineNr() < 0) {
            return "";
        }
        return " at line " + location.getLineNr() + ", column " + location.getColumnNr();
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "unreadable input";
        }
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    private static String quote(Object value) {
        return value instanceof String s ? '"' + clip(s, VALUE_ECHO_MAX) + '"' : clip(String.valueOf(value), VALUE_ECHO_MAX);
    }

    private static String clip(String text, int max) {
        if (text == null || text.length() <= max) {
            return text;
        }
        int end = Character.isHighSurrogate(text.charAt(max - 1)) ? max - 1 : max;
        return text.substring(0, end) + "…";
    }
}
