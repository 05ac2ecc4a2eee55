package ai.sandbox0.procd.rpc.context;

import ai.sandbox0.api.context.ContextListResponse;
import ai.sandbox0.procd.context.ContextRegistry;
import ai.sandbox0.procd.http.Call;
import ai.sandbox0.procd.http.Reply;
import ai.sandbox0.procd.http.Rpc;

/** GET /contexts → {contexts}: running and finished ones. */
public final class ListContexts implements Rpc {

    private final ContextRegistry contexts;

    public ListContexts(ContextRegistry contexts) {
        this.contexts = contexts;
    }

    @Override
    public Reply handle(Call call) throws Exception {
        return Reply.ok(new ContextListResponse(contexts.list()));
    }
}
