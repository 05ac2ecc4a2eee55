package ai.sandbox0.procd.rpc.context;

import ai.sandbox0.api.common.Resized;
import ai.sandbox0.api.context.ResizeContextRequest;
import ai.sandbox0.procd.ProcdException;
import ai.sandbox0.procd.context.ContextRegistry;
import ai.sandbox0.procd.http.Call;
import ai.sandbox0.procd.http.Reply;
import ai.sandbox0.procd.http.Rpc;

/** POST /contexts/{id}/resize. */
public final class ResizeContext implements Rpc {

    private final ContextRegistry contexts;

    public ResizeContext(ContextRegistry contexts) {
        this.contexts = contexts;
    }

    @Override
    public Reply handle(Call call) throws Exception {
        var context = contexts.get(call.param("id"));
        var req = call.json(ResizeContextRequest.class);
        if (req.rows() == null || req.cols() == null || req.rows() <= 0 || req.cols() <= 0) {
            throw ProcdException.invalid("rows and cols must be greater than 0");
        }
        if (req.rows() > 65535 || req.cols() > 65535) {
            throw ProcdException.invalid("rows and cols must be at most 65535");
        }
        context.resize(req.rows(), req.cols());
        return Reply.ok(new Resized(true));
    }
}
