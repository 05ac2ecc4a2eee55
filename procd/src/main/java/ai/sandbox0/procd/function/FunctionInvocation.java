package ai.sandbox0.procd.function;

import ai.sandbox0.api.ErrorCode;
import ai.sandbox0.procd.ProcdException;
import ai.sandbox0.procd.json.FunctionJson;
import ai.sandbox0.procd.json.JsonProblem;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The body of {@code POST /functions/invoke} (and the opening of {@code /functions/ws}): the function,
 * its env and timeout, and the public request as the gateway saw it. procd checks it here; the
 * harness reads the same bytes for the source and the request it hands the handler.
 */
public record FunctionInvocation(
        String serviceId,
        String routeId,
        String runtime,
        String handler,
        String sourceType,
        String code,
        Map<String, String> envVars,
        Integer timeoutSeconds,
        Request request) {

    /** The public request; procd only checks its types, the harness passes it on (with its body). */
    public record Request(String method, String path, String rawQuery, Map<String, List<String>> headers) {
    }

    public static final int MAX_CODE_BYTES = 256 * 1024;
    public static final int DEFAULT_TIMEOUT_SECONDS = 30;
    private static final Pattern DOTTED_IDENTIFIER =
            Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}(\\.[A-Za-z_][A-Za-z0-9_]{0,127}){0,15}");

    /** Reads and checks a body; every problem is a 400 {@code bad_request}, as upstream answers. */
    public static FunctionInvocation parse(byte[] body) {
        FunctionInvocation inv;
        try {
            inv = FunctionJson.invocation(body);
        } catch (JsonProblem e) {
            throw bad(e.getMessage());
        }
        if (inv.sourceType == null && inv.code == null && inv.runtime == null && inv.handler == null) {
            throw bad("function is required");
        }
        if (!"python".equals(inv.runtime)) {
            throw bad("function.runtime must be \"python\"");
        }
        if (inv.handler != null && !DOTTED_IDENTIFIER.matcher(inv.handler).matches()) {
            throw bad("function.handler must be a dotted Python identifier");
        }
        if (inv.sourceType == null && inv.code == null) {
            throw bad("function.source is required");
        }
        if (!"inline".equals(inv.sourceType)) {
            throw bad("function.source.type must be \"inline\"");
        }
        if (inv.code == null || inv.code.isBlank()) {
            throw bad("function.source.code is required");
        }
        if (inv.code.getBytes(StandardCharsets.UTF_8).length > MAX_CODE_BYTES) {
            throw bad("function.source.code exceeds " + MAX_CODE_BYTES + " bytes");
        }
        if (inv.timeoutSeconds != null && inv.timeoutSeconds < 0) {
            throw bad("timeout_seconds must be >= 0");
        }
        return inv;
    }

    /** The handler's deadline: {@code timeout_seconds} when above 0, else 30 s. */
    public long timeoutMillis() {
        return (timeoutSeconds != null && timeoutSeconds > 0 ? timeoutSeconds : DEFAULT_TIMEOUT_SECONDS) * 1000L;
    }

    /** Whether the gateway set a timeout itself (a stream is bounded only then). */
    public boolean explicitTimeout() {
        return timeoutSeconds != null && timeoutSeconds > 0;
    }

    public Map<String, String> env() {
        return envVars == null ? Map.of() : envVars;
    }

    /** {@code service/route} for procd's log. */
    public String label() {
        return (serviceId == null ? "-" : serviceId) + "/" + (routeId == null ? "-" : routeId);
    }

    private static ProcdException bad(String message) {
        return new ProcdException(ErrorCode.BAD_REQUEST, message);
    }
}
