package ai.sandbox0.procd.rpc.file;

import ai.sandbox0.api.file.FileWatchResponse;
import ai.sandbox0.procd.file.WatchHub;
import ai.sandbox0.procd.file.WatchStream;
import ai.sandbox0.procd.http.Call;
import ai.sandbox0.procd.http.Ndjson;
import ai.sandbox0.procd.http.Reply;
import ai.sandbox0.procd.http.Rpc;
import java.io.IOException;
import java.util.List;

/**
 * GET /files/watch[?path=&recursive=true]: the server half of the watch WebSocket as NDJSON. The
 * stream id comes in the {@code Sandbox0-Watch-Stream} header; client frames for it are POSTed to
 * /files/watch/{stream}. With {@code path}, the first line is that subscription's {@code subscribed}.
 * When the client goes away (noticed at the next write, keep-alives included) every watch of the
 * stream is removed.
 */
public final class WatchFiles implements Rpc {

    public static final String STREAM_HEADER = "Sandbox0-Watch-Stream";

    private final WatchHub hub;

    public WatchFiles(WatchHub hub) {
        this.hub = hub;
    }

    @Override
    public Reply handle(Call call) throws Exception {
        WatchStream stream = hub.open();
        try (Ndjson out = Ndjson.open(call.exchange(), STREAM_HEADER, stream.id())) {
            String path = call.query("path");
            if (path != null) {
                hub.subscribe(stream, path, call.flag("recursive"));
            }
            while (!stream.closed()) {
                List<FileWatchResponse> frames = stream.await(Ndjson.KEEPALIVE_MILLIS);
                if (frames.isEmpty()) {
                    out.keepAlive();
                    continue;
                }
                for (FileWatchResponse f : frames) {
                    out.frame(f);
                }
                out.flush();
            }
        } catch (IOException gone) {
            // client disconnected
        } finally {
            hub.close(stream);
        }
        return Reply.SENT;
    }
}
