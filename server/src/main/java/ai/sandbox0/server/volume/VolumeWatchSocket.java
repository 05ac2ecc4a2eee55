package ai.sandbox0.server.volume;

import ai.sandbox0.api.Json;
import ai.sandbox0.api.file.FileWatchRequest;
import ai.sandbox0.api.file.FileWatchResponse;
import ai.sandbox0.node.volume.VolumeWatcher;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.StatusCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client of the volume file watch WebSocket: its text frames become {@link FileWatchRequest}s for its
 * {@link VolumeWatcher.Connection}, and that connection's frames are sent in order by a virtual thread. A
 * frame that cannot be read is answered with an error frame; the socket stays open until the client closes
 * it (or the server stops). Public because Jetty calls the listener methods reflectively.
 */
public final class VolumeWatchSocket implements Session.Listener.AutoDemanding {

    private static final Logger LOG = LoggerFactory.getLogger(VolumeWatchSocket.class);

    private final VolumeWatcher watcher;
    private final VolumeWatchEndpoint.WatchedVolume volume;
    private volatile Session session;
    private volatile VolumeWatcher.Connection connection;

    VolumeWatchSocket(VolumeWatcher watcher, VolumeWatchEndpoint.WatchedVolume volume) {
        this.watcher = watcher;
        this.volume = volume;
    }

    @Override
    public void onWebSocketOpen(Session session) {
        this.session = session;
        try {
            connection = watcher.connect(volume.id(), volume.root());
        } catch (IllegalStateException e) {
            session.close(StatusCode.SHUTDOWN, "the server is stopping", Callback.NOOP);
            return;
        }
        Thread.ofVirtual().name("volume-watch-" + volume.id()).start(this::pump);
    }

    private void pump() {
        VolumeWatcher.Connection watches = connection;
        try {
            for (FileWatchResponse frame = watches.next(); frame != null; frame = watches.next()) {
                send(Json.writeString(frame));
            }
            close(StatusCode.SHUTDOWN, "volume watches stopped"); // the server is stopping
        } catch (IOException e) {
            LOG.debug("volume {}: watch client went away: {}", volume.id(), e.getMessage());
            watches.close();
        } catch (InterruptedException e) {
            watches.close();
        }
    }

    private void send(String text) throws IOException, InterruptedException {
        var sent = new Callback.Completable();
        session.sendText(text, sent);
        try {
            sent.get();
        } catch (ExecutionException e) {
            throw new IOException("client went away", e.getCause());
        }
    }

    @Override
    public void onWebSocketText(String message) {
        VolumeWatcher.Connection watches = connection;
        if (watches == null) {
            return;
        }
        FileWatchRequest request;
        try {
            request = parse(message);
        } catch (Unreadable e) {
            watches.refuse(e.getMessage());
            return;
        }
        watches.handle(request);
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason) {
        stop();
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        stop();
    }

    private void stop() {
        VolumeWatcher.Connection watches = connection;
        if (watches != null) {
            watches.close();
        }
    }

    private void close(int code, String reason) {
        Session s = session;
        if (s != null && s.isOpen()) {
            s.close(code, reason, Callback.NOOP);
        }
    }

    /** A client frame as a request; {@link Unreadable} says what is wrong with it, for an error frame. */
    static FileWatchRequest parse(String text) throws Unreadable {
        JsonNode node;
        try {
            node = Json.mapper().readTree(text);
        } catch (JsonProcessingException e) {
            throw new Unreadable("message is not valid JSON");
        }
        if (node == null || !node.isObject()) {
            throw new Unreadable("message must be a JSON object");
        }
        JsonNode action = node.get("action");
        if (action == null || !action.isTextual()) {
            throw new Unreadable("action is required: subscribe or unsubscribe");
        }
        if (!action.asText().equals("subscribe") && !action.asText().equals("unsubscribe")) {
            throw new Unreadable("unknown action \"" + clip(action.asText()) + "\": expected subscribe or unsubscribe");
        }
        try {
            return Json.mapper().treeToValue(node, FileWatchRequest.class);
        } catch (JsonProcessingException e) {
            String field = e instanceof JsonMappingException mapping
                    ? mapping.getPath().stream().map(JsonMappingException.Reference::getFieldName)
                            .filter(java.util.Objects::nonNull).collect(Collectors.joining("."))
                    : "";
            throw new Unreadable("invalid " + action.asText() + " message"
                    + (field.isEmpty() ? "" : ": field '" + field + "' has the wrong type"));
        }
    }

    private static String clip(String value) {
        return value.length() <= 64 ? value : value.substring(0, 64) + "…";
    }

    /** A client frame that is not a watch request. */
    static final class Unreadable extends Exception {

        Unreadable(String message) {
            super(message, null, false, false);
        }
    }
}
