package ai.sandbox0.procd.rpc.context;

import ai.sandbox0.api.context.ContextClientFrame;
import ai.sandbox0.procd.context.ContextRegistry;
import ai.sandbox0.procd.context.SignalName;
import ai.sandbox0.procd.http.Call;
import ai.sandbox0.procd.http.Reply;
import ai.sandbox0.procd.http.Rpc;
import ai.sandbox0.procd.json.Acknowledged;
import ai.sandbox0.procd.json.JsonProblem;
import ai.sandbox0.procd.json.ProcdJson;
import java.nio.charset.StandardCharsets;

/**
 * POST /contexts/{id}/stream: the client half of the context WebSocket. The body is one client text
 * frame exactly as received, interpreted by the §5.5 rules: {@code input} writes its data verbatim
 * and makes its request id ({@code request_id} or the SDK's {@code requestId}) the pending one;
 * {@code resize} with a zero is ignored; an invalid {@code signal} is ignored; a known frame with a
 * field of the wrong type is ignored; any other JSON, or text that is not JSON, is written to the
 * process as it is.
 */
public final class RelayContextFrame implements Rpc {

    private final ContextRegistry contexts;

    public RelayContextFrame(ContextRegistry contexts) {
        this.contexts = contexts;
    }

    @Override
    public Reply handle(Call call) throws Exception {
        var context = contexts.get(call.param("id"));
        byte[] text = call.bytes();
        ContextClientFrame frame;
        try {
            frame = ProcdJson.clientFrame(text);
        } catch (JsonProblem malformed) {
            return Reply.ok(Acknowledged.ACCEPTED);
        }
        if (frame == null) {
            context.input(new String(text, StandardCharsets.UTF_8), null);
        } else if (frame instanceof ContextClientFrame.Input input) {
            context.input(input.data() == null ? "" : input.data(), input.requestId());
        } else if (frame instanceof ContextClientFrame.Resize(Integer rows, Integer cols)) {
            if (rows != null && cols != null && rows > 0 && cols > 0 && rows <= 65535 && cols <= 65535) {
                context.resize(rows, cols);
            }
        } else if (frame instanceof ContextClientFrame.Signal(String name)) {
            var sig = SignalName.parse(name);
            if (sig.isPresent()) {
                context.signal(sig.getAsInt());
            }
        }
        return Reply.ok(Acknowledged.ACCEPTED);
    }
}
