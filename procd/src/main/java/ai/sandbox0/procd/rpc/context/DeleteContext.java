package ai.sandbox0.procd.rpc.context;

import ai.sandbox0.api.common.Deleted;
import ai.sandbox0.procd.context.ContextRegistry;
import ai.sandbox0.procd.http.Call;
import ai.sandbox0.procd.http.Reply;
import ai.sandbox0.procd.http.Rpc;

/** DELETE /contexts/{id}: kills the process and forgets the context. */
public final class DeleteContext implements Rpc {

    private final ContextRegistry contexts;

    public DeleteContext(ContextRegistry contexts) {
        this.contexts = contexts;
    }

    @Override
    public Reply handle(Call call) throws Exception {
        contexts.delete(call.param("id"));
        return Reply.ok(new Deleted(true));
    }
}
