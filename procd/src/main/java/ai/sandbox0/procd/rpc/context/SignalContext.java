package ai.sandbox0.procd.rpc.context;

import ai.sandbox0.api.common.Signaled;
import ai.sandbox0.api.context.SignalContextRequest;
import ai.sandbox0.procd.ProcdException;
import ai.sandbox0.procd.context.ContextRegistry;
import ai.sandbox0.procd.context.SignalName;
import ai.sandbox0.procd.http.Call;
import ai.sandbox0.procd.http.Reply;
import ai.sandbox0.procd.http.Rpc;

/** POST /contexts/{id}/signal. */
public final class SignalContext implements Rpc {

    private final ContextRegistry contexts;

    public SignalContext(ContextRegistry contexts) {
        this.contexts = contexts;
    }

    @Override
    public Reply handle(Call call) throws Exception {
        var context = contexts.get(call.param("id"));
        var req = call.json(SignalContextRequest.class);
        if (req.signal() == null || req.signal().isBlank()) {
            throw ProcdException.invalid("signal is required");
        }
        int sig = SignalName.parse(req.signal())
                .orElseThrow(() -> ProcdException.invalid("unsupported signal: " + req.signal()));
        context.signal(sig);
        return Reply.ok(new Signaled(true));
    }
}
