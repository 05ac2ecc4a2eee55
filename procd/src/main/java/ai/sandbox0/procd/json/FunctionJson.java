package ai.sandbox0.procd.json;

import ai.sandbox0.procd.function.FunctionInvocation;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON of Sandbox Functions: the invocation procd reads, the response head the harness writes,
 * and the lines of the function WebSocket stream procd writes.
 */
public final class FunctionJson {

    private FunctionJson() {
    }

    /** The response head from the harness: status, header pairs, and whether the body is streamed. */
    public record Head(int status, List<List<String>> headers, boolean stream) {
    }

    public static FunctionInvocation invocation(byte[] body) {
        return JsonIn.read(body, FunctionJson::invocation);
    }

    private static FunctionInvocation invocation(JsonIn in) {
        var f = new Object() {
            String serviceId;
            String routeId;
            String runtime;
            String handler;
            String sourceType;
            String code;
            Map<String, String> envVars;
            Integer timeoutSeconds;
            FunctionInvocation.Request request;
        };
        in.fields(name -> {
            switch (name) {
                case "service_id" -> f.serviceId = in.string();
                case "route_id" -> f.routeId = in.string();
                case "function" -> in.object(fn -> {
                    fn.fields(field -> {
                        switch (field) {
                            case "runtime" -> f.runtime = fn.string();
                            case "handler" -> f.handler = fn.string();
                            case "source" -> fn.object(src -> {
                                src.fields(s -> {
                                    switch (s) {
                                        case "type" -> f.sourceType = src.string();
                                        case "code" -> f.code = src.longString();
                                        default -> src.skip();
                                    }
                                });
                                return null;
                            });
                            default -> fn.skip();
                        }
                    });
                    return null;
                });
                case "env_vars" -> f.envVars = in.stringMap();
                case "timeout_seconds" -> f.timeoutSeconds = in.int32();
                case "request" -> f.request = in.object(FunctionJson::request);
                default -> in.skip();
            }
        });
        return new FunctionInvocation(f.serviceId, f.routeId, f.runtime, f.handler, f.sourceType, f.code, f.envVars,
                f.timeoutSeconds, f.request);
    }

    private static FunctionInvocation.Request request(JsonIn in) {
        var f = new Object() {
            String method;
            String path;
            String rawQuery;
            Map<String, List<String>> headers;
        };
        in.fields(name -> {
            switch (name) {
                case "method" -> f.method = in.string();
                case "path" -> f.path = in.string();
                case "raw_query" -> f.rawQuery = in.string();
                case "headers" -> f.headers = in.object(h -> {
                    Map<String, List<String>> values = new LinkedHashMap<>();
                    h.fields(header -> values.put(header, h.strings()));
                    return Collections.unmodifiableMap(values);
                });
                // body_base64 (up to 8 MiB of body) is for the harness: procd does not keep a copy of it.
                default -> in.skip();
            }
        });
        return new FunctionInvocation.Request(f.method, f.path, f.rawQuery, f.headers);
    }

    public static Head head(byte[] json) {
        return JsonIn.read(json, in -> {
            var f = new Object() {
                Integer status;
                List<List<String>> headers;
                Boolean stream;
            };
            in.fields(name -> {
                switch (name) {
                    case "status" -> f.status = in.int32();
                    case "headers" -> f.headers = in.list(JsonIn::strings);
                    case "stream" -> f.stream = in.bool();
                    default -> in.skip();
                }
            });
            return new Head(f.status == null ? 200 : f.status, f.headers == null ? List.of() : f.headers,
                    Boolean.TRUE.equals(f.stream));
        });
    }

    /** {@code {"code":1000,"reason":""}} as the harness writes a close; a bad one reads as 1000. */
    public static Map.Entry<Integer, String> close(byte[] json) {
        try {
            return JsonIn.read(json, in -> {
                var f = new Object() {
                    Integer code;
                    String reason;
                };
                in.fields(name -> {
                    switch (name) {
                        case "code" -> f.code = in.int32();
                        case "reason" -> f.reason = in.string();
                        default -> in.skip();
                    }
                });
                return Map.entry(f.code == null ? 1000 : f.code, f.reason == null ? "" : f.reason);
            });
        } catch (JsonProblem e) {
            return Map.entry(1000, "");
        }
    }

    /** {@code {"type":"text","data":…}}. */
    public static byte[] textFrame(String text) {
        JsonOut out = new JsonOut();
        out.begin().string("type", "text").string("data", text).end();
        return out.bytes();
    }

    /** {@code {"type":"binary","data_base64":…}}. */
    public static byte[] binaryFrame(byte[] data) {
        JsonOut out = new JsonOut();
        out.begin().string("type", "binary").string("data_base64", Base64.getEncoder().encodeToString(data)).end();
        return out.bytes();
    }

    /** {@code {"type":"close","code":…,"reason":…}}: the last line of a function WebSocket stream. */
    public static byte[] closeFrame(int code, String reason) {
        JsonOut out = new JsonOut();
        out.begin().string("type", "close").number("code", code).string("reason", reason).end();
        return out.bytes();
    }
}
