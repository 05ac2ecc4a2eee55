package ai.sandbox0.server.procd;

import ai.sandbox0.server.http.ApiException;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.util.Map;

/** {@code GET …/files/watch}: subscribe/unsubscribe frames in, subscribed/event/error frames out (spec §6.1). */
public final class WatchStreamRelay extends StreamRelay {

    public WatchStreamRelay(ProcdClient client, ProcdEndpoint procd) {
        super(client, procd);
    }

    @Override
    String streamPath() {
        return "/api/v1/files/watch";
    }

    @Override
    String inputPath(HttpResponse<InputStream> opened) {
        return "/api/v1/files/watch/" + opened.headers().firstValue("Sandbox0-Watch-Stream").orElse("missing");
    }

    @Override
    String refusal(int status) {
        return "sandbox agent refused the watch (" + status + ")";
    }

    @Override
    String endReason(HttpResponse<InputStream> opened) {
        return "watch closed";
    }

    @Override
    void release(String inputPath) {
        try {
            client.call(procd, "DELETE", inputPath, Map.of(), null, 0).body().close();
        } catch (ApiException | IOException ignored) {
            // procd drops the watches with the stream anyway
        }
    }
}
