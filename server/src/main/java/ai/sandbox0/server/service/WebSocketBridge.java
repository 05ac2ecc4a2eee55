package ai.sandbox0.server.service;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.StatusCode;

/**
 * One public WebSocket joined to one WebSocket into the sandbox, frame for frame: text and binary stay apart,
 * fragments are passed on as they come (no message is assembled in memory), and each side reads its next frame
 * only once the other has taken the last one, so a slow reader slows its writer. The sandbox side is connected
 * first; it is not read until the public side is open. A close on either side closes the other with its code.
 * Public, with its listener, because Jetty binds listener methods through a lookup from its own module.
 */
public final class WebSocketBridge {

    private final End upstream = new End("upstream");
    private final End client = new End("client");
    private final AtomicBoolean closing = new AtomicBoolean();

    WebSocketBridge() {
        upstream.peer = client;
        client.peer = upstream;
    }

    /** The listener for the connection into the sandbox. */
    Session.Listener upstreamListener() {
        return upstream;
    }

    /** The listener for the public connection. */
    Session.Listener clientListener() {
        return client;
    }

    private void closeBoth(int code, String reason) {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        int sendable = switch (code) {
            case StatusCode.NO_CODE -> StatusCode.NORMAL;
            case StatusCode.NO_CLOSE, StatusCode.FAILED_TLS_HANDSHAKE -> StatusCode.SERVER_ERROR;
            default -> code;
        };
        for (End end : new End[] {upstream, client}) {
            Session s = end.session;
            if (s != null && s.isOpen()) {
                s.close(sendable, reason, Callback.NOOP);
            }
        }
    }

    public final class End implements Session.Listener {

        private final String name;
        private End peer;
        private volatile Session session;

        End(String name) {
            this.name = name;
        }

        @Override
        public void onWebSocketOpen(Session session) {
            this.session = session;
            // Read nothing until both are open; the public side opens last and starts both.
            if (this == client) {
                upstream.session.demand();
                session.demand();
            }
        }

        @Override
        public void onWebSocketPartialText(String payload, boolean fin) {
            peer.session.sendPartialText(payload, fin, Callback.from(session::demand, this::failed));
        }

        @Override
        public void onWebSocketPartialBinary(ByteBuffer payload, boolean fin, Callback callback) {
            peer.session.sendPartialBinary(payload, fin, Callback.from(() -> {
                callback.succeed();
                session.demand();
            }, failure -> {
                callback.fail(failure);
                failed(failure);
            }));
        }

        @Override
        public void onWebSocketPing(ByteBuffer payload) {
            session.demand(); // answered by Jetty
        }

        @Override
        public void onWebSocketPong(ByteBuffer payload) {
            session.demand();
        }

        @Override
        public void onWebSocketClose(int statusCode, String reason, Callback callback) {
            callback.succeed();
            closeBoth(statusCode, reason);
        }

        @Override
        public void onWebSocketError(Throwable cause) {
            closeBoth(StatusCode.SERVER_ERROR, name + " connection failed");
        }

        private void failed(Throwable cause) {
            closeBoth(StatusCode.SERVER_ERROR, peer.name + " connection failed");
        }
    }
}
