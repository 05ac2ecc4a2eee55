package ai.sandbox0.procd.rpc.context;

import ai.sandbox0.api.Json;
import ai.sandbox0.procd.context.ContextRegistry;
import ai.sandbox0.procd.context.SignalName;
import ai.sandbox0.procd.http.Call;
import ai.sandbox0.procd.http.Reply;
import ai.sandbox0.procd.http.Rpc;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;

/**
 * POST /contexts/{id}/stream: the client half of the context WebSocket. The body is one client text
 * frame exactly as received, interpreted by the §5.5 rules: {@code input} writes its data verbatim
 * and makes its request id ({@code request_id} or the SDK's {@code requestId}) the pending one;
 * {@code resize} with a zero is ignored; an invalid {@code signal} is ignored; any other JSON, or text
 * that is not JSON, is written to the process as it is.
 */
public final class RelayContextFrame implements Rpc {

    private final ContextRegistry contexts;

    public RelayContextFrame(ContextRegistry contexts) {
        this.contexts = contexts;
    }

    @Override
    public Reply handle(Call call) throws Exception {
        var context = contexts.get(call.param("id"));
        String text = call.text();
        JsonNode frame = null;
        try {
            frame = Json.mapper().readTree(text);
        } catch (Exception notJson) {
            // raw stdin
        }
        String type = frame != null && frame.isObject() && frame.get("type") != null && frame.get("type").isTextual()
                ? frame.get("type").asText() : null;
        switch (type == null ? "" : type) {
            case "input" -> {
                JsonNode id = frame.hasNonNull("request_id") ? frame.get("request_id") : frame.get("requestId");
                context.input(frame.path("data").asText(""), id == null || id.isNull() ? null : id.asText());
            }
            case "resize" -> {
                int rows = frame.path("rows").asInt(0);
                int cols = frame.path("cols").asInt(0);
                if (rows > 0 && cols > 0 && rows <= 65535 && cols <= 65535) {
                    context.resize(rows, cols);
                }
            }
            case "signal" -> {
                var sig = SignalName.parse(frame.path("signal").asText(null));
                if (sig.isPresent()) {
                    context.signal(sig.getAsInt());
                }
            }
            default -> context.input(text, null);
        }
        return Reply.ok(Map.of("accepted", true));
    }
}
