package ai.sandbox0.procd.rpc.file;

import ai.sandbox0.api.ErrorCode;
import ai.sandbox0.procd.ProcdException;
import ai.sandbox0.procd.file.WatchHub;
import ai.sandbox0.procd.http.Call;
import ai.sandbox0.procd.http.Reply;
import ai.sandbox0.procd.http.Rpc;
import ai.sandbox0.procd.json.Acknowledged;

/**
 * POST /files/watch/{stream}: one client frame of the watch WebSocket, as received (subscribe or
 * unsubscribe; anything else is ignored). Replies go to the stream, not to this response.
 * DELETE /files/watch/{stream} closes the stream and removes its watches.
 */
public final class RelayWatchFrame implements Rpc {

    private final WatchHub hub;

    public RelayWatchFrame(WatchHub hub) {
        this.hub = hub;
    }

    @Override
    public Reply handle(Call call) throws Exception {
        var stream = hub.get(call.param("stream"));
        if (stream == null) {
            throw new ProcdException(ErrorCode.NOT_FOUND, "watch stream not found");
        }
        if (call.exchange().getRequestMethod().equals("DELETE")) {
            hub.close(stream);
            return Reply.ok(Acknowledged.CLOSED);
        }
        hub.receive(stream, call.text());
        return Reply.ok(Acknowledged.ACCEPTED);
    }
}
