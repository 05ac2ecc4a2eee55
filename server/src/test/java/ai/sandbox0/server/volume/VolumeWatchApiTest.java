package ai.sandbox0.server.volume;

import static ai.sandbox0.server.ApiReplies.ok;
import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.server.TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The volume file watch on the whole server: writes through the file API, a restore, a delete. */
class VolumeWatchApiTest {

    private static Path dataDir;
    private static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        dataDir = Files.createTempDirectory("s0-volume-watch");
        server = TestServer.withSandboxes(dataDir);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        new ProcessBuilder("rm", "-rf", "--one-file-system", dataDir.toString()).start().waitFor();
    }

    @Test
    void subscribersSeeApiWritesAnInvalidateOnRestoreAndAnEndOnDelete() throws Exception {
        String volume = ok(server.json("POST", "/api/v1/sandboxvolumes", "{}"), 201).get("id").asText();
        write(volume, "/docs/a.txt", "one");
        String snapshot = ok(server.json("POST", "/api/v1/sandboxvolumes/" + volume + "/snapshots", "{\"name\":\"s\"}"),
                201).get("id").asText();
        var frames = new Frames();
        WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
                .header("Authorization", "Bearer " + server.adminKey()).connectTimeout(Duration.ofSeconds(10))
                .buildAsync(URI.create(server.uri("/api/v1/sandboxvolumes/" + volume + "/files/watch").toString()
                        .replaceFirst("^http", "ws")), frames).join();
        ws.sendText("{\"action\":\"subscribe\",\"path\":\"/docs\",\"recursive\":true}", true).join();
        String subscribed = frames.until("\"subscribed\"");
        String watchId = subscribed.replaceAll(".*\"watch_id\":\"([^\"]+)\".*", "$1");

        write(volume, "/docs/b.txt", "two");
        assertThat(frames.until("b.txt")).contains("\"watch_id\":\"" + watchId + "\"").contains("\"path\":\"/docs/b.txt\"");

        ok(server.json("POST", "/api/v1/sandboxvolumes/" + volume + "/snapshots/" + snapshot + "/restore", null), 200);
        assertThat(frames.until("invalidate")).contains("\"path\":\"/docs\"");
        // Still watching, on the restored tree.
        write(volume, "/docs/c.txt", "three");
        assertThat(frames.until("c.txt")).contains("\"path\":\"/docs/c.txt\"");

        ok(server.json("DELETE", "/api/v1/sandboxvolumes/" + volume, null), 200);
        assertThat(frames.until("unsubscribed")).contains(watchId);
        ws.abort();
    }

    private static void write(String volume, String path, String content) throws Exception {
        ok(server.send(HttpRequest.newBuilder(server.uri("/api/v1/sandboxvolumes/" + volume + "/files?path=" + path))
                .POST(HttpRequest.BodyPublishers.ofString(content)), "Authorization", "Bearer " + server.adminKey()), 200);
    }

    private static final class Frames implements WebSocket.Listener {
        private final LinkedBlockingQueue<String> incoming = new LinkedBlockingQueue<>();
        private final List<String> seen = new ArrayList<>();
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                incoming.add(partial.toString());
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        String until(String fragment) throws InterruptedException {
            while (true) {
                String frame = incoming.poll(20, TimeUnit.SECONDS);
                assertThat(frame).as("a frame with %s within 20 s (seen %s)", fragment, seen).isNotNull();
                seen.add(frame);
                if (frame.contains(fragment)) {
                    return frame;
                }
            }
        }
    }
}
