package ai.sandbox0.procd.rpc.context;


import ai.sandbox0.procd.context.ContextRegistry;
import ai.sandbox0.procd.http.Call;
import ai.sandbox0.procd.http.Reply;
import ai.sandbox0.procd.http.Rpc;

/** POST /contexts/{id}/restart: a new process with the same id and config; state is lost. */
public final class RestartContext implements Rpc {

    private final ContextRegistry contexts;

    public RestartContext(ContextRegistry contexts) {
        this.contexts = contexts;
    }

    @Override
    public Reply handle(Call call) throws Exception {
        return Reply.ok(contexts.get(call.param("id")).restart());
    }
}
