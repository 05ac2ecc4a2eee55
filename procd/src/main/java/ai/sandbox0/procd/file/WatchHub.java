package ai.sandbox0.procd.file;

import ai.sandbox0.api.file.FileWatchRequest;
import ai.sandbox0.api.file.FileWatchResponse;
import ai.sandbox0.procd.json.JsonProblem;
import ai.sandbox0.procd.json.ProcdJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Watch streams and the §6.1 client protocol: several subscriptions per stream, each with its own
 * server-generated watch_id; malformed frames and unknown watch ids are ignored; closing a stream
 * (the client went away) removes all its watches.
 */
public final class WatchHub {

    private final FileWatcher watcher;
    private final Workspace workspace;
    private final Map<String, WatchStream> streams = new ConcurrentHashMap<>();

    public WatchHub(FileWatcher watcher, Workspace workspace) {
        this.watcher = watcher;
        this.workspace = workspace;
    }

    public WatchStream open() {
        WatchStream s = new WatchStream(newId());
        streams.put(s.id(), s);
        return s;
    }

    public WatchStream get(String id) {
        return id == null ? null : streams.get(id);
    }

    public void close(WatchStream stream) {
        streams.remove(stream.id());
        stream.markClosed();
        stream.subscriptions.values().forEach(watcher::remove);
        stream.subscriptions.clear();
    }

    /** Applies one client frame (the text of one WebSocket message). */
    public void receive(WatchStream stream, String text) {
        FileWatchRequest request;
        try {
            request = ProcdJson.read(text.getBytes(StandardCharsets.UTF_8), FileWatchRequest.class);
        } catch (JsonProblem e) {
            return; // malformed JSON is ignored
        }
        switch (request) {
            case FileWatchRequest.Subscribe s -> subscribe(stream, s.path(), Boolean.TRUE.equals(s.recursive()));
            case FileWatchRequest.Unsubscribe u -> unsubscribe(stream, u.watchId());
        }
    }

    public void subscribe(WatchStream stream, String path, boolean recursive) {
        if (path == null || path.isEmpty()) {
            stream.push(new FileWatchResponse.Error("path is required"));
            return;
        }
        Path root = workspace.root().resolve(path).normalize();
        if (!Files.exists(root)) {
            stream.push(new FileWatchResponse.Error("path not found: " + path));
            return;
        }
        var sub = new FileWatcher.Subscription(newId(), root, recursive, stream);
        try {
            // The watcher queues the subscribed frame once the watches exist and before any of their events: a
            // client that acts on it (the SDK's watchFiles returns on it) never misses its own first change.
            watcher.add(sub, new FileWatchResponse.Subscribed(sub.id, path));
            stream.subscriptions.put(sub.id, sub);
        } catch (IOException e) {
            stream.push(new FileWatchResponse.Error(e.getMessage()));
        }
    }

    private void unsubscribe(WatchStream stream, String watchId) {
        var sub = watchId == null ? null : stream.subscriptions.remove(watchId);
        if (sub != null) {
            watcher.remove(sub);
            stream.push(new FileWatchResponse.Unsubscribed(watchId));
        }
    }

    private static String newId() {
        byte[] b = new byte[8];
        ThreadLocalRandom.current().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
