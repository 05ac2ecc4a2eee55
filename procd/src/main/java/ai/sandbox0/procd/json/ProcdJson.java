package ai.sandbox0.procd.json;

import ai.sandbox0.api.Envelope;
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
import java.util.Map;
import java.util.function.Function;

/**
 * procd's JSON: the wire records it reads and writes, each by a codec written out field by field
 * over a streaming parser, with no reflection. procd starts in every sandbox and runs interpreted
 * (see docs/procd-protocol.md); Jackson's first use there costs ~130 ms of CPU (building the mapper,
 * {@code BigDecimal}'s static tables, introspecting each record) that would land on a new sandbox's
 * first command. The gateway keeps Jackson; {@code ProcdJsonTest} holds both to the same bytes.
 */
public final class ProcdJson {

    private static final Map<Class<?>, Function<JsonIn, ?>> READERS = Map.of(
            CreateContextRequest.class, ContextJson::createContext,
            ContextInputRequest.class, ContextJson::input,
            ResizeContextRequest.class, ContextJson::resize,
            SignalContextRequest.class, ContextJson::signal,
            MoveFileRequest.class, FileJson::move,
            FileWatchRequest.class, FileJson::watchRequest,
            EnvDefaults.class, ProcdJson::envDefaults);

    private ProcdJson() {
    }

    /** Reads a request body; bad JSON or a wrong type is a {@link JsonProblem} naming the field. */
    public static <T> T read(byte[] body, Class<T> type) {
        Function<JsonIn, ?> reader = READERS.get(type);
        if (reader == null) {
            throw new IllegalArgumentException("procd reads no " + type.getName());
        }
        return type.cast(JsonIn.read(body, reader));
    }

    /** A client frame of the context stream, or null for text to write to the process as it is. */
    public static ContextClientFrame clientFrame(byte[] text) {
        return ContextJson.clientFrame(text);
    }

    /** {@code {"success":true,"data":…}}. */
    public static byte[] ok(Object data) {
        JsonOut out = new JsonOut();
        out.begin().bool("success", true).object("data", data, ProcdJson::value).end();
        return out.bytes();
    }

    /** {@code {"success":false,"error":{"code":…,"message":…}}}. */
    public static byte[] failure(String code, String message) {
        JsonOut out = new JsonOut();
        out.begin().bool("success", false).object("error", new Envelope.ErrorBody(code, message, null),
                (o, error) -> o.begin().string("code", error.code()).string("message", error.message()).end()).end();
        return out.bytes();
    }

    /** One stream frame: a {@link ContextServerFrame} or a {@link FileWatchResponse}. */
    public static byte[] frame(Object frame) {
        JsonOut out = new JsonOut();
        value(out, frame);
        return out.bytes();
    }

    // instanceof rather than a pattern switch: a type switch costs milliseconds the first time, interpreted.
    private static void value(JsonOut out, Object data) {
        if (data instanceof ContextResponse c) {
            ContextJson.context(out, c);
        } else if (data instanceof ContextExecResponse e) {
            ContextJson.exec(out, e);
        } else if (data instanceof ContextServerFrame f) {
            ContextJson.frame(out, f);
        } else if (data instanceof FileWatchResponse f) {
            FileJson.watchFrame(out, f);
        } else if (data instanceof ContextListResponse l) {
            ContextJson.contexts(out, l);
        } else if (data instanceof ContextStatsResponse s) {
            ContextJson.stats(out, s);
        } else if (data instanceof FileInfo i) {
            FileJson.info(out, i);
        } else if (data instanceof FileEntries e) {
            FileJson.entries(out, e);
        } else if (data instanceof FileContent c) {
            out.begin().string("content", c.content()).string("encoding", c.encoding()).end();
        } else if (data instanceof Written w) {
            out.begin().bool("written", w.written()).end();
        } else if (data instanceof Deleted d) {
            out.begin().bool("deleted", d.deleted()).end();
        } else if (data instanceof Created c) {
            out.begin().bool("created", c.created()).end();
        } else if (data instanceof Moved m) {
            out.begin().bool("moved", m.moved()).end();
        } else if (data instanceof Resized r) {
            out.begin().bool("resized", r.resized()).end();
        } else if (data instanceof Signaled s) {
            out.begin().bool("signaled", s.signaled()).end();
        } else if (data instanceof EnvDefaults d) {
            out.begin().stringMap("template", d.template()).stringMap("sandbox", d.sandbox()).end();
        } else if (data instanceof Acknowledged a) {
            out.begin().bool(a.name(), true).end();
        } else {
            throw new IllegalArgumentException("procd writes no " + data.getClass().getName());
        }
    }

    private static EnvDefaults envDefaults(JsonIn in) {
        var f = new Object() {
            Map<String, String> template;
            Map<String, String> sandbox;
        };
        in.fields(name -> {
            switch (name) {
                case "template" -> f.template = in.stringMap();
                case "sandbox" -> f.sandbox = in.stringMap();
                default -> in.skip();
            }
        });
        return new EnvDefaults(f.template, f.sandbox);
    }
}
