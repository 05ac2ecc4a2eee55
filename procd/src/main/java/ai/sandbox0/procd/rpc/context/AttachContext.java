package ai.sandbox0.procd.rpc.context;

import ai.sandbox0.api.ErrorCode;
import ai.sandbox0.api.context.ContextServerFrame;
import ai.sandbox0.procd.ProcdException;
import ai.sandbox0.procd.context.ContextRegistry;
import ai.sandbox0.procd.context.OutputLog;
import ai.sandbox0.procd.http.Call;
import ai.sandbox0.procd.http.Ndjson;
import ai.sandbox0.procd.http.Reply;
import ai.sandbox0.procd.http.Rpc;
import java.io.IOException;

/**
 * GET /contexts/{id}/stream: the server half of the context WebSocket as NDJSON. The replay window
 * first, then live frames, ending after the process {@code done}. The header
 * {@code Sandbox0-Close-Reason} is the close reason the gateway sends when the stream ends.
 */
public final class AttachContext implements Rpc {

    public static final String CLOSE_REASON = "Sandbox0-Close-Reason";

    private final ContextRegistry contexts;

    public AttachContext(ContextRegistry contexts) {
        this.contexts = contexts;
    }

    @Override
    public Reply handle(Call call) throws Exception {
        var context = contexts.get(call.param("id"));
        var run = context.run();
        if (run == null) {
            throw new ProcdException(ErrorCode.PROCESS_NOT_RUNNING, "context not running");
        }
        OutputLog log = run.log();
        String reason = log.ended() ? "context finished" : "context output closed";
        try (Ndjson out = Ndjson.open(call.exchange(), CLOSE_REASON, reason)) {
            long cursor = 0;
            while (true) {
                OutputLog.Batch batch = log.await(cursor, Ndjson.KEEPALIVE_MILLIS);
                if (batch.frames().isEmpty() && !batch.ended()) {
                    out.keepAlive();
                    continue;
                }
                for (ContextServerFrame f : batch.frames()) {
                    out.frame(f);
                }
                out.flush();
                cursor = batch.next();
                if (batch.ended()) {
                    break;
                }
            }
        } catch (IOException gone) {
            // the client went away; nothing to clean up: attachers only read the log
        }
        return Reply.SENT;
    }
}
