package ai.sandbox0.procd.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.api.Envelope;
import ai.sandbox0.api.Json;
import ai.sandbox0.api.WireEnums;
import ai.sandbox0.api.common.Created;
import ai.sandbox0.api.common.Deleted;
import ai.sandbox0.api.common.Moved;
import ai.sandbox0.api.common.Resized;
import ai.sandbox0.api.common.Signaled;
import ai.sandbox0.api.common.Written;
import ai.sandbox0.api.context.ContextClientFrame;
import ai.sandbox0.api.context.ContextExecResponse;
import ai.sandbox0.api.context.ContextInputRequest;
import ai.sandbox0.api.context.ContextListResponse;
import ai.sandbox0.api.context.ContextResponse;
import ai.sandbox0.api.context.ContextServerFrame;
import ai.sandbox0.api.context.ContextStatsResponse;
import ai.sandbox0.api.context.CreateContextRequest;
import ai.sandbox0.api.context.ResizeContextRequest;
import ai.sandbox0.api.context.SignalContextRequest;
import ai.sandbox0.api.file.FileContent;
import ai.sandbox0.api.file.FileEntries;
import ai.sandbox0.api.file.FileInfo;
import ai.sandbox0.api.file.FileWatchRequest;
import ai.sandbox0.api.file.FileWatchResponse;
import ai.sandbox0.api.file.MoveFileRequest;
import ai.sandbox0.procd.EnvDefaults;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * procd's hand-listed codecs against Jackson's reading of the same api records: every component of
 * every record procd writes or reads is filled in (so a field added to a record and not to its codec
 * fails here), and the bytes must be identical.
 */
class ProcdJsonTest {

    private static final List<Class<? extends Record>> WRITTEN = List.of(
            ContextResponse.class, ContextExecResponse.class, ContextListResponse.class, ContextStatsResponse.class,
            FileInfo.class, FileEntries.class, FileContent.class, Written.class, Deleted.class, Created.class,
            Moved.class, Resized.class, Signaled.class, EnvDefaults.class);

    private static final List<Class<? extends Record>> FRAMES = List.of(
            ContextServerFrame.Output.class, ContextServerFrame.Done.class,
            FileWatchResponse.Subscribed.class, FileWatchResponse.Event.class,
            FileWatchResponse.Unsubscribed.class, FileWatchResponse.Error.class);

    private static final List<Class<? extends Record>> READ = List.of(
            CreateContextRequest.class, ContextInputRequest.class, ResizeContextRequest.class,
            SignalContextRequest.class, MoveFileRequest.class, EnvDefaults.class);

    @Test
    void responsesAreTheBytesJacksonWrites() {
        for (var type : WRITTEN) {
            for (int variant = 0; variant < 3; variant++) {
                Record value = sample(type, variant);
                assertSameJson(ProcdJson.ok(value), Json.write(Envelope.ok(value)), type.getSimpleName() + " variant " + variant);
            }
            Record empty = empty(type);
            assertSameJson(ProcdJson.ok(empty), Json.write(Envelope.ok(empty)), type.getSimpleName() + " with nulls");
        }
    }

    @Test
    void streamFramesAreTheBytesJacksonWrites() {
        for (var type : FRAMES) {
            for (int variant = 0; variant < 3; variant++) {
                Record value = sample(type, variant);
                assertSameJson(ProcdJson.frame(value), Json.write(value), type.getSimpleName() + " variant " + variant);
            }
            Record empty = empty(type);
            assertSameJson(ProcdJson.frame(empty), Json.write(empty), type.getSimpleName() + " with nulls");
        }
    }

    @Test
    void requestsReadAsJacksonReadsThem() throws Exception {
        for (var type : READ) {
            for (int variant = 0; variant < 3; variant++) {
                Record value = sample(type, variant);
                byte[] json = Json.write(value);
                assertThat(ProcdJson.read(json, type)).as(type.getSimpleName() + " " + text(json))
                        .isEqualTo(Json.mapper().readValue(json, type));
            }
        }
        for (var type : List.of(FileWatchRequest.Subscribe.class, FileWatchRequest.Unsubscribe.class)) {
            byte[] json = Json.write(sample(type, 0));
            assertThat(ProcdJson.read(json, FileWatchRequest.class)).isEqualTo(Json.mapper().readValue(json, FileWatchRequest.class));
        }
    }

    @Test
    void errorEnvelopeAndAcknowledgements() {
        assertThat(text(ProcdJson.failure("context_not_found", "context x not found \"q\"")))
                .isEqualTo(Json.writeString(Envelope.failure("context_not_found", "context x not found \"q\"", null)));
        assertThat(text(ProcdJson.ok(Acknowledged.ACCEPTED))).isEqualTo(Json.writeString(Envelope.ok(Map.of("accepted", true))));
        assertThat(text(ProcdJson.ok(Acknowledged.CLOSED))).isEqualTo(Json.writeString(Envelope.ok(Map.of("closed", true))));
    }

    @Test
    void enumTablesMatchTheContract() {
        for (WireEnum<?> table : List.of(ContextJson.PROCESS_TYPE, ContextJson.PROCESS_STATE, ContextJson.OUTPUT_SOURCE,
                ContextJson.READY_MODE, FileJson.FILE_TYPE, FileJson.EVENT)) {
            assertWireValues(table);
        }
    }

    private static <E extends Enum<E>> void assertWireValues(WireEnum<E> table) {
        for (E constant : table.type().getEnumConstants()) {
            assertThat(table.wire(constant)).as(constant.toString()).isEqualTo(WireEnums.wire(constant));
        }
    }

    @Test
    void clientFramesOfTheContextStream() {
        assertThat(ProcdJson.clientFrame(bytes("{\"type\":\"input\",\"data\":\"ls\\n\",\"requestId\":\"r1\"}")))
                .isEqualTo(new ContextClientFrame.Input("ls\n", "r1"));
        assertThat(ProcdJson.clientFrame(bytes("{\"requestId\":\"sdk\",\"type\":\"input\",\"data\":\"x\",\"request_id\":\"r2\"}")))
                .isEqualTo(new ContextClientFrame.Input("x", "r2"));
        assertThat(ProcdJson.clientFrame(bytes("{\"type\":\"resize\",\"rows\":30,\"cols\":100}")))
                .isEqualTo(new ContextClientFrame.Resize(30, 100));
        assertThat(ProcdJson.clientFrame(bytes("{\"type\":\"signal\",\"signal\":\"INT\"}")))
                .isEqualTo(new ContextClientFrame.Signal("INT"));
        // Not a frame: the relay writes the text to the process.
        assertThat(ProcdJson.clientFrame(bytes("print(1)"))).isNull();
        assertThat(ProcdJson.clientFrame(bytes("{\"type\":\"other\",\"rows\":\"x\"}"))).isNull();
        assertThat(ProcdJson.clientFrame(bytes("{\"data\":\"no type\"}"))).isNull();
        assertThat(ProcdJson.clientFrame(bytes("[1]"))).isNull();
        // A known frame with a field of the wrong type: a problem (the relay ignores the frame).
        assertThatThrownBy(() -> ProcdJson.clientFrame(bytes("{\"type\":\"resize\",\"rows\":\"30\",\"cols\":1}")))
                .isInstanceOf(JsonProblem.class).hasMessage("invalid value for field 'rows': expected an integer");
    }

    @Test
    void problemsNameTheField() {
        assertThatThrownBy(() -> ProcdJson.read(bytes("{\"cmd\":{\"command\":[\"a\",null,{}]}}"), CreateContextRequest.class))
                .isInstanceOf(JsonProblem.class).hasMessage("invalid value for field 'cmd.command[2]': expected a string");
        assertThatThrownBy(() -> ProcdJson.read(bytes("{\"repl\":{\"repl_config\":{\"candidates\":[{\"name\":\"a\"},{\"args\":[true]}]}}}"),
                CreateContextRequest.class))
                .hasMessage("invalid value for field 'repl.repl_config.candidates[1].args[0]': expected a string");
        assertThatThrownBy(() -> ProcdJson.read(bytes("{\"pty_size\":{\"rows\":1e2}}"), CreateContextRequest.class))
                .hasMessage("invalid value for field 'pty_size.rows': expected an integer");
        assertThatThrownBy(() -> ProcdJson.read(bytes("{\"source\":"), MoveFileRequest.class))
                .hasMessage("malformed JSON: the body ends inside a value");
        assertThatThrownBy(() -> ProcdJson.read(bytes("\"text\""), MoveFileRequest.class))
                .hasMessage("request body must be an object in JSON");
        assertThatThrownBy(() -> ProcdJson.read(bytes("{\"action\":\"peek\"}"), FileWatchRequest.class))
                .hasMessage("invalid value for field 'action': expected one of subscribe, unsubscribe");
        assertThat(ProcdJson.read(bytes("  "), MoveFileRequest.class)).isEqualTo(new MoveFileRequest(null, null));
        assertThat(ProcdJson.read(bytes("{\"source\":null,\"extra\":{\"deep\":[1,{\"x\":2}]},\"destination\":\"b\"}"),
                MoveFileRequest.class)).isEqualTo(new MoveFileRequest(null, "b"));
    }

    // ---- samples: every component filled in, with text that needs escaping

    private static Record sample(Class<? extends Record> type, int variant) {
        RecordComponent[] components = type.getRecordComponents();
        Object[] values = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            types[i] = components[i].getType();
            values[i] = value(components[i].getGenericType(), components[i].getName(), variant);
        }
        return construct(type, types, values);
    }

    private static Record empty(Class<? extends Record> type) {
        RecordComponent[] components = type.getRecordComponents();
        Object[] values = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        for (int i = 0; i < components.length; i++) {
            types[i] = components[i].getType();
            values[i] = switch (types[i].getName()) {
                case "boolean" -> false;
                case "int" -> 0;
                case "long" -> 0L;
                default -> null;
            };
        }
        return construct(type, types, values);
    }

    private static Record construct(Class<? extends Record> type, Class<?>[] types, Object[] values) {
        try {
            var constructor = type.getDeclaredConstructor(types);
            constructor.setAccessible(true);
            return constructor.newInstance(values);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object value(Type generic, String name, int variant) {
        if (generic instanceof ParameterizedType p) {
            Class<?> raw = (Class<?>) p.getRawType();
            Type[] args = p.getActualTypeArguments();
            if (raw == List.class) {
                return variant == 2 ? List.of() : List.of(value(args[0], name + "0", variant), value(args[0], name + "1", variant));
            }
            if (raw == Map.class) {
                Map<Object, Object> map = new LinkedHashMap<>();
                if (variant != 2) {
                    map.put("Z_" + name, value(args[1], name, variant));
                    map.put("a-" + name, value(args[1], name + "2", variant));
                }
                return map;
            }
            throw new AssertionError("no sample for " + generic);
        }
        Class<?> c = (Class<?>) generic;
        if (c == String.class) {
            return variant == 0 ? name + " é😀\u0001\"\\/\n\t\u2028<>" : name + variant;
        }
        if (c == Integer.class || c == int.class) {
            return variant == 0 ? -7 : Integer.MAX_VALUE - variant;
        }
        if (c == Long.class || c == long.class) {
            return variant == 0 ? 0L : Long.MAX_VALUE - variant;
        }
        if (c == Double.class || c == double.class) {
            return variant == 0 ? 12.5 : variant == 1 ? 0.1 + 0.2 : 1e-7;
        }
        if (c == Boolean.class || c == boolean.class) {
            return variant != 1;
        }
        if (c == Instant.class) {
            return variant == 0 ? Instant.parse("2026-11-27T15:00:00Z")
                    : variant == 1 ? Instant.parse("2026-11-27T15:00:00.120Z") : Instant.ofEpochSecond(1, 123_456_789);
        }
        if (c.isEnum()) {
            Object[] constants = c.getEnumConstants();
            return constants[(variant * 2 + name.length()) % constants.length];
        }
        if (c.isRecord()) {
            return sample((Class<? extends Record>) c, variant);
        }
        throw new AssertionError("no sample for " + c);
    }

    /**
     * The same members in the same order with the same values. Bytes are compared too, except that
     * Jackson escapes characters outside the BMP as surrogate pairs where procd writes them as UTF-8
     * (both are the same JSON string).
     */
    private static void assertSameJson(byte[] ours, byte[] jackson, String what) {
        try {
            var mapper = Json.mapper();
            assertThat(text(mapper.writeValueAsBytes(mapper.readTree(ours))))
                    .as(what).isEqualTo(text(mapper.writeValueAsBytes(mapper.readTree(jackson))));
        } catch (java.io.IOException e) {
            throw new AssertionError(what + ": " + text(ours), e);
        }
        String unescaped = text(jackson).replace("\\uD83D\\uDE00", "\uD83D\uDE00");
        assertThat(text(ours)).as(what + " bytes").isEqualTo(unescaped);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
