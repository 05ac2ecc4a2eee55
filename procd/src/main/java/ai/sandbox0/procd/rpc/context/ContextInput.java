package ai.sandbox0.procd.rpc.context;

import ai.sandbox0.api.common.Written;
import ai.sandbox0.api.context.ContextInputRequest;
import ai.sandbox0.procd.ProcdException;
import ai.sandbox0.procd.context.ContextRegistry;
import ai.sandbox0.procd.http.Call;
import ai.sandbox0.procd.http.Reply;
import ai.sandbox0.procd.http.Rpc;

/**
 * POST /contexts/{id}/input: bytes verbatim. A {@code request_id} (not in the public schema) makes the
 * REPL's next prompt produce a {@code done} frame for it, as a WebSocket input does.
 */
public final class ContextInput implements Rpc {

    private final ContextRegistry contexts;

    public ContextInput(ContextRegistry contexts) {
        this.contexts = contexts;
    }

    @Override
    public Reply handle(Call call) throws Exception {
        var context = contexts.get(call.param("id"));
        var req = call.json(ContextInputRequest.class);
        if (req.data() == null) {
            throw ProcdException.invalid("data is required");
        }
        context.input(req.data(), req.requestId());
        return Reply.ok(new Written(true));
    }
}
