package ai.sandbox0.server.procd;

import java.io.InputStream;
import java.net.http.HttpResponse;

/** {@code GET …/contexts/{ctx}/ws}: output frames with replay, done frames, input/resize/signal (spec §5.5). */
public final class ContextStreamRelay extends StreamRelay {

    private final String path;

    public ContextStreamRelay(ProcdClient client, ProcdEndpoint procd, String contextId) {
        super(client, procd);
        this.path = "/api/v1/contexts/" + contextId + "/stream";
    }

    @Override
    String streamPath() {
        return path;
    }

    @Override
    String inputPath(HttpResponse<InputStream> opened) {
        return path;
    }

    @Override
    String refusal(int status) {
        return switch (status) {
            case 404 -> "context not found";
            case 409 -> "context not running";
            default -> "sandbox agent refused the stream (" + status + ")";
        };
    }

    @Override
    String endReason(HttpResponse<InputStream> opened) {
        return opened.headers().firstValue("Sandbox0-Close-Reason").orElse("context output closed");
    }
}
