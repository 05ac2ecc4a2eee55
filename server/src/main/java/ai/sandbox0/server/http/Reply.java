package ai.sandbox0.server.http;

import java.io.InputStream;
import java.util.Map;
import org.eclipse.jetty.websocket.server.WebSocketCreator;

/** What an endpoint answers. The HTTP layer writes it; endpoints never touch the response. */
public sealed interface Reply {

    int status();

    /** {@code data} inside the success envelope. */
    record Json(int status, Object data) implements Reply {
    }

    /** A body that is not enveloped, such as Prometheus metrics or a raw file. */
    record Raw(int status, String contentType, byte[] body, Map<String, String> headers) implements Reply {

        public Raw {
            headers = Map.copyOf(headers);
        }

        public Raw(int status, String contentType, byte[] body) {
            this(status, contentType, body, Map.of());
        }
    }

    /**
     * A body copied from {@code body} as it arrives (a proxied file or stream), never held in memory;
     * {@code body} is closed when the copy ends.
     */
    record Stream(int status, String contentType, Map<String, String> headers, InputStream body) implements Reply {
    }

    /** Switch the connection to WebSocket; {@code creator} makes the endpoint once the handshake succeeds. */
    record Upgrade(WebSocketCreator creator) implements Reply {

        @Override
        public int status() {
            return 101;
        }
    }

    static Reply ok(Object data) {
        return new Json(200, data);
    }

    static Reply created(Object data) {
        return new Json(201, data);
    }
}
