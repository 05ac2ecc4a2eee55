package ai.sandbox0.procd.rpc.context;

import ai.sandbox0.api.context.CreateContextRequest;
import ai.sandbox0.procd.context.ContextRegistry;
import ai.sandbox0.procd.http.Call;
import ai.sandbox0.procd.http.Reply;
import ai.sandbox0.procd.http.Rpc;

/** POST /contexts → 201 ContextResponse (with wait_until_done: after the exit, or 408 at the cap). */
public final class CreateContext implements Rpc {

    private final ContextRegistry contexts;

    public CreateContext(ContextRegistry contexts) {
        this.contexts = contexts;
    }

    @Override
    public Reply handle(Call call) throws Exception {
        return Reply.created(contexts.create(call.json(CreateContextRequest.class)));
    }
}
