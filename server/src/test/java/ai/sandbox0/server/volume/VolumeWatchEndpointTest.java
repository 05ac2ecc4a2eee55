package ai.sandbox0.server.volume;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.api.Json;
import ai.sandbox0.node.volume.VolumeWatcher;
import ai.sandbox0.server.auth.AuthenticationFailure;
import ai.sandbox0.server.auth.Principal;
import ai.sandbox0.server.auth.Role;
import ai.sandbox0.server.http.ApiException;
import ai.sandbox0.server.http.ApiHandler;
import ai.sandbox0.server.http.HttpApi;
import ai.sandbox0.server.http.HttpMetrics;
import ai.sandbox0.server.http.Router;
import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The volume file watch WebSocket on a real HTTP server, with a plain directory standing for the volume and
 * changes made straight in it, as a sandbox that mounts the volume makes them.
 */
class VolumeWatchEndpointTest {

    private static final String VOLUME = "6a1f0a8e-2f7c-4f0e-9a51-3c1d2b7e9f00";
    private static final String DEVELOPER = "s0_local_" + "ab".repeat(24);
    private static final String BUILDER = "s0_local_" + "cd".repeat(24);
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    @TempDir
    Path tmp;

    Path root;
    VolumeWatcher watcher;
    HttpApi http;

    @BeforeEach
    void start() throws Exception {
        root = Files.createDirectory(tmp.resolve("volume"));
        Files.createDirectory(tmp.resolve("outside"));
        watcher = VolumeWatcher.start(new VolumeWatcher.Limits(10_000, 3, 4096, 65_536, 4096));
        var endpoint = new VolumeWatchEndpoint((caller, id) -> {
            if (!id.equals(VOLUME) || !caller.teamId().equals("team-1")) {
                throw ApiException.notFound("sandboxvolume not found");
            }
            return new VolumeWatchEndpoint.WatchedVolume(VOLUME, root);
        }, watcher);
        Map<String, Principal> principals = Map.of(
                "Bearer " + DEVELOPER, new Principal("team-1", "user-1", "key-1", null, Set.of(Role.DEVELOPER), false),
                "Bearer " + BUILDER, new Principal("team-1", "user-2", "key-2", null, Set.of(Role.BUILDER), false));
        var handler = new ApiHandler(new Router().addAll(endpoint.routes()), (authorization, team) -> {
            Principal principal = authorization == null ? null : principals.get(authorization);
            if (principal == null) {
                throw new AuthenticationFailure(authorization == null ? "missing authorization header" : "invalid api key");
            }
            return principal;
        }, new HttpMetrics(new SimpleMeterRegistry()), 1024 * 1024);
        http = new HttpApi(new InetSocketAddress("127.0.0.1", 0), handler, 64, 1000);
        http.start();
    }

    @AfterEach
    void stop() {
        http.close();
        watcher.close();
    }

    @Test
    void subscribeThenEventsWithUpstreamShapesThenUnsubscribe() throws Exception {
        Files.createDirectories(root.resolve("src"));
        var client = connect(VOLUME, DEVELOPER);
        client.send("{\"action\":\"subscribe\",\"path\":\"/src\",\"recursive\":true}");
        String subscribed = client.nextText();
        JsonNode frame = Json.mapper().readTree(subscribed);
        String watchId = frame.get("watch_id").asText();
        assertThat(subscribed).isEqualTo("{\"type\":\"subscribed\",\"watch_id\":\"" + watchId + "\",\"path\":\"/src\"}");

        Files.createDirectories(root.resolve("src/pkg"));
        Files.writeString(root.resolve("src/pkg/mod.py"), "x = 1");
        client.until(f -> f.equals(event(watchId, "create", "/src/pkg/mod.py")));

        client.send("{\"action\":\"unsubscribe\",\"watch_id\":\"" + watchId + "\"}");
        client.until(f -> f.equals("{\"type\":\"unsubscribed\",\"watch_id\":\"" + watchId + "\"}"));

        // Nothing more for that watch: a second subscription's event comes, the first's do not.
        client.send("{\"action\":\"subscribe\",\"path\":\"/\",\"recursive\":false}");
        String other = Json.mapper().readTree(client.until(f -> f.contains("\"subscribed\""))).get("watch_id").asText();
        Files.writeString(root.resolve("src/pkg/later.py"), "y = 2");
        Files.writeString(root.resolve("top.txt"), "t");
        client.until(f -> f.equals(event(other, "create", "/top.txt")));
        assertThat(client.texts).noneMatch(f -> f.contains("later.py"));
        client.ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
    }

    @Test
    void invalidateReachesTheClientAndTheConnectionStaysOpen() throws Exception {
        Files.createDirectories(root.resolve("data"));
        var client = connect(VOLUME, DEVELOPER);
        client.send("{\"action\":\"subscribe\",\"path\":\"data\"}");
        String watchId = Json.mapper().readTree(client.nextText()).get("watch_id").asText();

        watcher.invalidate(VOLUME);
        assertThat(client.nextText()).isEqualTo(event(watchId, "invalidate", "/data"));

        Files.writeString(root.resolve("data/after.txt"), "a");
        client.until(f -> f.equals(event(watchId, "create", "/data/after.txt")));
        assertThat(client.closed).isNotDone();
    }

    @Test
    void framesThatCannotBeReadAreAnsweredWithErrorsOnAnOpenSocket() throws Exception {
        Files.createSymbolicLink(root.resolve("escape"), tmp.resolve("outside"));
        var client = connect(VOLUME, DEVELOPER);

        client.send("not json");
        assertThat(client.nextText()).isEqualTo("{\"type\":\"error\",\"error\":\"message is not valid JSON\"}");
        client.send("{\"action\":\"dance\"}");
        assertThat(error(client.nextText())).isEqualTo("unknown action \"dance\": expected subscribe or unsubscribe");
        client.send("{\"path\":\"/\"}");
        assertThat(error(client.nextText())).isEqualTo("action is required: subscribe or unsubscribe");
        client.send("{\"action\":\"subscribe\",\"path\":\"/\",\"recursive\":\"yes\"}");
        assertThat(error(client.nextText())).isEqualTo("invalid subscribe message: field 'recursive' has the wrong type");
        client.send("{\"action\":\"subscribe\",\"path\":\"/escape\",\"recursive\":true}");
        assertThat(error(client.nextText())).isEqualTo("path not found: /escape");
        client.send("{\"action\":\"unsubscribe\",\"watch_id\":\"w-unknown\"}");
        assertThat(error(client.nextText())).isEqualTo("no such watch: w-unknown");

        // This server's limit is three subscriptions per connection.
        for (int i = 0; i < 3; i++) {
            client.send("{\"action\":\"subscribe\",\"path\":\"/\"}");
            assertThat(Json.mapper().readTree(client.nextText()).get("type").asText()).isEqualTo("subscribed");
        }
        client.send("{\"action\":\"subscribe\",\"path\":\"/\"}");
        assertThat(error(client.nextText())).isEqualTo("too many subscriptions: a connection may hold 3");
        assertThat(client.closed).isNotDone();
    }

    @Test
    void theHandshakeAnswersUnknownVolumesMissingPermissionAndMissingTokens() {
        assertThat(handshakeStatus("00000000-0000-4000-8000-000000000000", DEVELOPER)).isEqualTo(404);
        assertThat(handshakeStatus(VOLUME, BUILDER)).isEqualTo(403);
        assertThat(handshakeStatus(VOLUME, null)).isEqualTo(401);
    }

    private static String event(String watchId, String kind, String path) {
        return "{\"type\":\"event\",\"watch_id\":\"" + watchId + "\",\"event\":\"" + kind + "\",\"path\":\"" + path + "\"}";
    }

    private static String error(String frame) throws Exception {
        JsonNode node = Json.mapper().readTree(frame);
        assertThat(node.get("type").asText()).as(frame).isEqualTo("error");
        return node.get("error").asText();
    }

    private URI uri(String volume) {
        return URI.create("ws://127.0.0.1:" + http.port() + "/api/v1/sandboxvolumes/" + volume + "/files/watch");
    }

    private Client connect(String volume, String token) {
        var client = new Client();
        client.ws = CLIENT.newWebSocketBuilder().header("Authorization", "Bearer " + token)
                .connectTimeout(Duration.ofSeconds(10)).buildAsync(uri(volume), client).join();
        return client;
    }

    private int handshakeStatus(String volume, String token) {
        WebSocket.Builder builder = CLIENT.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        var failure = new ArrayList<Integer>();
        assertThatThrownBy(() -> builder.buildAsync(uri(volume), new Client()).join())
                .isInstanceOf(CompletionException.class).cause().isInstanceOf(WebSocketHandshakeException.class)
                .satisfies(e -> failure.add(((WebSocketHandshakeException) e).getResponse().statusCode()));
        return failure.getFirst();
    }

    /** A client WebSocket's text frames (all of them, for assertions) and its close. */
    private static final class Client implements WebSocket.Listener {

        final LinkedBlockingQueue<String> incoming = new LinkedBlockingQueue<>();
        final List<String> texts = new ArrayList<>();
        final CompletableFuture<String> closed = new CompletableFuture<>();
        private final StringBuilder partial = new StringBuilder();
        WebSocket ws;

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

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int status, String reason) {
            closed.complete(status + " " + reason);
            return null;
        }

        void send(String text) {
            ws.sendText(text, true).join();
        }

        String nextText() throws InterruptedException {
            String text = incoming.poll(20, TimeUnit.SECONDS);
            assertThat(text).as("a frame within 20 s (seen: %s)", texts).isNotNull();
            texts.add(text);
            return text;
        }

        String until(Predicate<String> wanted) throws InterruptedException {
            while (true) {
                String text = nextText();
                if (wanted.test(text)) {
                    return text;
                }
            }
        }
    }
}
