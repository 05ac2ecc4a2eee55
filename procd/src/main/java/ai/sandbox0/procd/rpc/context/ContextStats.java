package ai.sandbox0.procd.rpc.context;


import ai.sandbox0.procd.context.ContextRegistry;
import ai.sandbox0.procd.http.Call;
import ai.sandbox0.procd.http.Reply;
import ai.sandbox0.procd.http.Rpc;

/** GET /contexts/{id}/stats: usage from /proc and the memory cgroup. */
public final class ContextStats implements Rpc {

    private final ContextRegistry contexts;

    public ContextStats(ContextRegistry contexts) {
        this.contexts = contexts;
    }

    @Override
    public Reply handle(Call call) throws Exception {
        return Reply.ok(contexts.get(call.param("id")).stats());
    }
}
