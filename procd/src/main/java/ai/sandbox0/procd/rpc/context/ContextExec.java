package ai.sandbox0.procd.rpc.context;

import ai.sandbox0.api.context.ContextInputRequest;
import ai.sandbox0.procd.ProcdException;
import ai.sandbox0.procd.context.ContextRegistry;
import ai.sandbox0.procd.http.Call;
import ai.sandbox0.procd.http.Reply;
import ai.sandbox0.procd.http.Rpc;

/** POST /contexts/{id}/exec: write, then wait for completion (§5.4). */
public final class ContextExec implements Rpc {

    private final ContextRegistry contexts;

    public ContextExec(ContextRegistry contexts) {
        this.contexts = contexts;
    }

    @Override
    public Reply handle(Call call) throws Exception {
        var context = contexts.get(call.param("id"));
        var req = call.json(ContextInputRequest.class);
        if (req.data() == null || req.data().isEmpty()) {
            throw ProcdException.invalid("data is required");
        }
        return Reply.ok(context.exec(req.data()));
    }
}
