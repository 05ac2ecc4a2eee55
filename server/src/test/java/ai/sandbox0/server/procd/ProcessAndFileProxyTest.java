package ai.sandbox0.server.procd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.api.Json;
import ai.sandbox0.server.auth.AuthenticationFailure;
import ai.sandbox0.server.auth.Principal;
import ai.sandbox0.server.auth.Role;
import ai.sandbox0.server.http.ApiException;
import ai.sandbox0.server.http.ApiHandler;
import ai.sandbox0.server.http.HttpApi;
import ai.sandbox0.server.http.HttpMetrics;
import ai.sandbox0.server.http.Router;
import ai.sandbox0.server.sandbox.ProcessAndFileEndpoints;
import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Contexts and files through the gateway to a real procd, including both WebSockets. */
class ProcessAndFileProxyTest {

    private static final String TOKEN = "s0_local_" + "ab".repeat(24);
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    private static LocalProcd procd;
    private static HttpApi http;
    private static ProcdClient procdClient;

    @BeforeAll
    static void start() throws Exception {
        procd = LocalProcd.start();
        procdClient = new ProcdClient();
        var principal = new Principal("team-1", "user-1", "key-1", null, Set.of(Role.DEVELOPER), false);
        var endpoints = new ProcessAndFileEndpoints((caller, id) -> {
            if (id.equals("sb-impostor")) {
                // Another agent at the address: it does not know the token the gateway sends.
                return new ProcdEndpoint(procd.endpoint().base(), "not-this-procds-token");
            }
            if (!id.equals("sb-test")) {
                throw ApiException.notFound("sandbox not found");
            }
            return procd.endpoint();
        }, procdClient);
        var handler = new ApiHandler(new Router().addAll(endpoints.routes()), (authorization, team) -> {
            if (!("Bearer " + TOKEN).equals(authorization)) {
                throw new AuthenticationFailure(authorization == null ? "missing authorization header" : "invalid api key");
            }
            return principal;
        }, new HttpMetrics(new SimpleMeterRegistry()), 1024 * 1024);
        http = new HttpApi(new InetSocketAddress("127.0.0.1", 0), handler, 256, 1000);
        http.start();
    }

    @AfterAll
    static void stop() throws Exception {
        http.close();
        procdClient.close();
        procd.close();
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + http.port() + "/api/v1/sandboxes/sb-test" + path);
    }

    private static HttpResponse<String> post(String path, String json) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + TOKEN).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode data(HttpResponse<String> response) throws Exception {
        return Json.mapper().readTree(response.body()).get("data");
    }

    @Test
    void replKeepsStateAcrossExecs() throws Exception {
        HttpResponse<String> created = post("/contexts", "{\"type\":\"repl\",\"repl\":{\"alias\":\"python\"}}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String ctx = data(created).get("id").asText();
        assertThat(ctx).startsWith("ctx-");

        assertThat(post("/contexts/" + ctx + "/exec", "{\"data\":\"x = 41\"}").statusCode()).isEqualTo(200);
        HttpResponse<String> result = post("/contexts/" + ctx + "/exec", "{\"data\":\"print(x + 1)\"}");
        assertThat(data(result).get("output_raw").asText()).contains("42");
    }

    @Test
    void cmdWaitsAndProcdErrorsPassThroughUnchanged() throws Exception {
        HttpResponse<String> cmd = post("/contexts",
                "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"sh\",\"-c\",\"echo hi; exit 7\"]},\"wait_until_done\":true}");
        assertThat(cmd.statusCode()).isEqualTo(201);
        assertThat(data(cmd).get("output_raw").asText()).contains("hi");
        assertThat(data(cmd).get("exit_code").asInt()).isEqualTo(7);
        assertThat(data(cmd).get("state").asText()).isEqualTo("crashed");

        HttpResponse<String> missing = get("/contexts/ctx-00000000");
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(Json.mapper().readTree(missing.body()).at("/error/code").asText()).isEqualTo("context_not_found");
    }

    @Test
    void binaryFilesRoundTripRawAndAsBase64() throws Exception {
        byte[] bytes = new byte[3 * 1024 * 1024 + 17];
        new Random(7).nextBytes(bytes);
        HttpResponse<String> written = CLIENT.send(HttpRequest.newBuilder(uri("/files?path=tmp/blob.bin"))
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(written.statusCode()).as(written.body()).isEqualTo(200);
        assertThat(data(written).get("written").asBoolean()).isTrue();

        HttpResponse<byte[]> raw = CLIENT.send(HttpRequest.newBuilder(uri("/files?path=tmp/blob.bin"))
                .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(raw.statusCode()).isEqualTo(200);
        assertThat(raw.body()).isEqualTo(bytes);

        HttpResponse<String> json = CLIENT.send(HttpRequest.newBuilder(uri("/files?path=tmp/blob.bin"))
                .header("Authorization", "Bearer " + TOKEN).header("Accept", "application/json").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(data(json).get("encoding").asText()).isEqualTo("base64");
        assertThat(Base64.getDecoder().decode(data(json).get("content").asText())).isEqualTo(bytes);

        JsonNode stat = data(get("/files/stat?path=tmp/blob.bin"));
        assertThat(stat.get("size").asLong()).isEqualTo(bytes.length);
        assertThat(stat.get("mode").asText()).isEqualTo("0644");
    }

    @Test
    void unknownSandboxIs404AndMissingTokenIs401() throws Exception {
        HttpResponse<String> other = CLIENT.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + http.port() + "/api/v1/sandboxes/sb-other/contexts"))
                .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(other.statusCode()).isEqualTo(404);
        assertThat(Json.mapper().readTree(other.body()).at("/error/message").asText()).isEqualTo("sandbox not found");

        HttpResponse<String> anonymous = CLIENT.send(HttpRequest.newBuilder(uri("/contexts")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).isEqualTo(401);
    }

    @Test
    void anAgentRefusingTheGatewaysTokenIsNeverTheCallersUnauthorized() throws Exception {
        HttpResponse<String> answer = CLIENT.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + http.port() + "/api/v1/sandboxes/sb-impostor/contexts"))
                .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
        assertThat(Json.mapper().readTree(answer.body()).at("/error/code").asText()).isEqualTo("unavailable");
    }

    /** Collects text frames and the close of a client WebSocket. */
    static final class Frames implements WebSocket.Listener {
        final LinkedBlockingQueue<String> texts = new LinkedBlockingQueue<>();
        final CompletableFuture<String> closed = new CompletableFuture<>();
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                texts.add(partial.toString());
                partial.setLength(0);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
            closed.complete(status + " " + reason);
            return null;
        }

        JsonNode next() throws Exception {
            String text = texts.poll(20, TimeUnit.SECONDS);
            assertThat(text).as("a frame within 20 s").isNotNull();
            return Json.mapper().readTree(text);
        }
    }

    private static WebSocket connect(String path, Frames frames) {
        return CLIENT.newWebSocketBuilder().header("Authorization", "Bearer " + TOKEN)
                .connectTimeout(Duration.ofSeconds(10))
                .buildAsync(URI.create("ws://127.0.0.1:" + http.port() + "/api/v1/sandboxes/sb-test" + path), frames)
                .join();
    }

    @Test
    void aLateAttacherToAFinishedCommandGetsItsOutputThenDoneThenClose() throws Exception {
        HttpResponse<String> created = post("/contexts",
                "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"sh\",\"-c\",\"printf sdk-e2e-ok; printf oops >&2\"]}}");
        String ctx = data(created).get("id").asText();
        Thread.sleep(300); // let it finish before attaching: the replay must still carry everything

        var frames = new Frames();
        connect("/contexts/" + ctx + "/ws", frames);
        var outputs = new ArrayList<JsonNode>();
        JsonNode frame;
        while ((frame = frames.next()).get("type").asText().equals("output")) {
            outputs.add(frame);
        }
        assertThat(outputs).anySatisfy(f -> {
            assertThat(f.get("source").asText()).isEqualTo("stdout");
            assertThat(f.get("data").asText()).contains("sdk-e2e-ok");
        });
        assertThat(outputs).anySatisfy(f -> assertThat(f.get("source").asText()).isEqualTo("stderr"));
        assertThat(frame.get("type").asText()).isEqualTo("done");
        assertThat(frame.get("exit_code").asInt()).isZero();
        assertThat(frame.get("state").asText()).isEqualTo("stopped");
        assertThat(frames.closed.get(10, TimeUnit.SECONDS)).startsWith("1000 context");
    }

    @Test
    void replInputOverTheSocketEndsWithItsRequestIdDone() throws Exception {
        String ctx = data(post("/contexts", "{\"type\":\"repl\",\"repl\":{\"alias\":\"python\"}}")).get("id").asText();
        var frames = new Frames();
        WebSocket ws = connect("/contexts/" + ctx + "/ws", frames);
        ws.sendText("{\"type\":\"input\",\"data\":\"print(6*7)\\n\",\"requestId\":\"req-1\"}", true).join();

        var seen = new StringBuilder();
        JsonNode frame;
        while (!(frame = frames.next()).get("type").asText().equals("done")) {
            seen.append(frame.path("data").asText());
        }
        assertThat(seen.toString()).contains("42");
        assertThat(frame.get("request_id").asText()).isEqualTo("req-1");
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
    }

    @Test
    void unknownContextSocketIsClosedWithTheUpstreamReason() throws Exception {
        var frames = new Frames();
        connect("/contexts/ctx-deadbeef/ws", frames);

        assertThat(frames.closed.get(10, TimeUnit.SECONDS)).isEqualTo("1000 context not found");
    }

    @Test
    void socketUpgradeNeedsTheToken() {
        assertThatThrownBy(() -> CLIENT.newWebSocketBuilder()
                .buildAsync(uri("/files/watch").toString().startsWith("http")
                        ? URI.create("ws://127.0.0.1:" + http.port() + "/api/v1/sandboxes/sb-test/files/watch") : null,
                        new Frames()).join())
                .isInstanceOf(CompletionException.class)
                .cause().isInstanceOf(WebSocketHandshakeException.class)
                .satisfies(e -> assertThat(((WebSocketHandshakeException) e).getResponse().statusCode()).isEqualTo(401));
    }

    @Test
    void watchSubscribesFirstThenReportsEventsInNewSubdirectories() throws Exception {
        post("/files?path=watched&mkdir=true&recursive=true", "");
        var frames = new Frames();
        WebSocket ws = connect("/files/watch", frames);
        ws.sendText("{\"action\":\"subscribe\",\"path\":\"watched\",\"recursive\":true}", true).join();

        JsonNode subscribed = frames.next();
        assertThat(subscribed.get("type").asText()).isEqualTo("subscribed");
        String watchId = subscribed.get("watch_id").asText();

        post("/files?path=watched/later/deeper&mkdir=true&recursive=true", "");
        Thread.sleep(200);
        CLIENT.send(HttpRequest.newBuilder(uri("/files?path=watched/later/deeper/new.txt"))
                .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
                HttpResponse.BodyHandlers.ofString());

        List<String> paths = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (paths.stream().noneMatch(p -> p.endsWith("deeper/new.txt")) && System.nanoTime() < deadline) {
            JsonNode event = frames.next();
            assertThat(event.get("type").asText()).isEqualTo("event");
            assertThat(event.get("watch_id").asText()).isEqualTo(watchId);
            paths.add(event.get("path").asText());
        }
        assertThat(paths).anySatisfy(p -> assertThat(p).endsWith("watched/later/deeper/new.txt"));

        ws.sendText("{\"action\":\"unsubscribe\",\"watch_id\":\"" + watchId + "\"}", true).join();
        JsonNode unsubscribed = frames.next();
        while (unsubscribed.get("type").asText().equals("event")) {
            unsubscribed = frames.next();
        }
        assertThat(unsubscribed.get("type").asText()).isEqualTo("unsubscribed");
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
    }
}
