package ai.sandbox0.server.service;

import static ai.sandbox0.server.ApiReplies.ok;
import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.Json;
import ai.sandbox0.server.TestServer;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.InputStreamResponseListener;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.client.ClientUpgradeRequest;
import org.eclipse.jetty.websocket.client.WebSocketClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Function services of a real sandbox (spec §7.6), reached by their public URL on the exposure listener: each
 * request runs a Python handler in the sandbox once, and what it returns is the public response.
 */
public class FunctionExposureTest {

    private static final int FUNCTION_PORT = 49983;

    private static Path dataDir;
    private static TestServer server;
    private static HttpClient http;
    private static WebSocketClient webSockets;
    private static String sandbox;
    private static JsonNode services;

    @BeforeAll
    static void start() throws Exception {
        dataDir = Files.createTempDirectory("s0-functions");
        server = TestServer.withSandboxes(dataDir);
        http = PublicClients.http();
        webSockets = new WebSocketClient(http);
        webSockets.start();
        sandbox = ok(server.json("POST", "/api/v1/sandboxes", "{\"template\":\"default\"}"), 201).get("sandbox_id").asText();
        String code;
        try (InputStream in = FunctionExposureTest.class.getResourceAsStream("/exposure/functions.py")) {
            code = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        var list = new StringBuilder("[");
        String[][] handlers = {
            // service and handler, route, extra route settings
            {"plain", "/plain", ""},
            {"echo", "/fn", ",\"rewrite_prefix\":\"/inner\",\"methods\":[\"POST\",\"PUT\"]"},
            {"nothing", "/nothing", ""},
            {"events", "/events", ""},
            {"boom", "/boom", ""},
            {"slow", "/slow", ",\"timeout_seconds\":1"},
            {"env", "/env", ""},
            {"sockets", "/ws", ",\"rewrite_prefix\":\"/\""},
            {"listener", "/listen", ""},
            {"ticker", "/ticker", ""},
        };
        for (String[] h : handlers) {
            list.append(list.length() > 1 ? "," : "").append("""
                    {"id":"%s","runtime":{"type":"function","env_vars":{"GREETING":"hello from env_vars"},
                      "function":{"runtime":"python","handler":"%s","source":{"type":"inline","code":%s}}},
                     "ingress":{"public":true,"routes":[{"id":"r-%s","path_prefix":"%s","resume":false%s}]}}"""
                    .formatted(h[0], h[0], Json.writeString(code), h[0], h[1], h[2]));
        }
        services = ok(server.json("PUT", "/api/v1/sandboxes/" + sandbox + "/services",
                "{\"services\":" + list.append(NO_PYTHON) + "}"), 200);
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (webSockets != null) {
                webSockets.stop();
            }
            if (http != null) {
                http.stop();
            }
        } finally {
            if (server != null) {
                server.close();
                new ProcessBuilder("rm", "-rf", "--one-file-system", dataDir.toString()).start().waitFor();
            }
        }
    }

    /** A function whose PATH has no python3: procd cannot run it. */
    private static final String NO_PYTHON = """
            ,{"id":"nopython","runtime":{"type":"function","env_vars":{"PATH":"/nowhere"},
              "function":{"runtime":"python","source":{"type":"inline","code":"def handler(request):\\n    return 1\\n"}}},
             "ingress":{"public":true,"routes":[{"id":"r","path_prefix":"/nopython","resume":false}]}}]""";

    private static String base() {
        return "http://" + sandbox + "--p" + FUNCTION_PORT + ".local.localhost:" + server.server().exposurePort();
    }

    private static Request request(String path) {
        return http.newRequest(base() + path).timeout(60, TimeUnit.SECONDS);
    }

    private static void write(String path, String content) throws Exception {
        ok(server.send(java.net.http.HttpRequest.newBuilder(server.uri("/api/v1/sandboxes/" + sandbox + "/files?path=" + path))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(content)),
                "Authorization", "Bearer " + server.adminKey(), "Content-Type", "application/octet-stream"), 200);
    }

    private static void assertEnvelope(ContentResponse response, int status, String code, String message) throws Exception {
        assertThat(response.getStatus()).as(response.getContentAsString()).isEqualTo(status);
        JsonNode error = Json.mapper().readTree(response.getContentAsString()).get("error");
        assertThat(error.get("code").asText()).isEqualTo(code);
        assertThat(error.get("message").asText()).isEqualTo(message);
    }

    @Test
    void aFunctionServiceIsPublishedOnTheAgentPort() {
        JsonNode echo = services.get("services").get(1);
        assertThat(echo.get("id").asText()).isEqualTo("echo");
        assertThat(echo.get("port").asInt()).isEqualTo(FUNCTION_PORT);
        assertThat(echo.get("publishable").asBoolean()).isTrue();
        assertThat(echo.path("publish_blockers").size()).isZero();
        assertThat(echo.get("public_url").asText())
                .endsWith("--p" + FUNCTION_PORT + "." + services.get("exposure_domain").asText())
                .isEqualTo(base());
    }

    @Test
    void whatTheHandlerReturnsIsTheResponse() throws Exception {
        ContentResponse plain = request("/plain").send();
        assertThat(plain.getStatus()).as(plain.getContentAsString()).isEqualTo(201);
        assertThat(plain.getHeaders().get("X-Fn")).isEqualTo("plain");
        assertThat(plain.getHeaders().getValuesList("Set-Cookie")).containsExactly("a=1", "b=2");
        assertThat(plain.getHeaders().get("Content-Type")).isEqualTo("application/json");
        assertThat(Json.mapper().readTree(plain.getContentAsString()).get("ok").asBoolean()).isTrue();
        // The marker procd puts on a function's own responses stays between procd and the gateway.
        assertThat(plain.getHeaders().get("Sandbox0-Function-Response")).isNull();

        ContentResponse none = request("/nothing").send();
        assertThat(none.getStatus()).isEqualTo(204);
        assertThat(none.getContent()).isEmpty();

        String envBody = request("/env").send().getContentAsString();
        JsonNode env = Json.mapper().readTree(envBody);
        assertThat(env.path("greeting").asText()).as(envBody).isEqualTo("hello from env_vars");
        // The sandbox's own environment lies beneath the runtime's env_vars.
        assertThat(env.path("path").asText()).as(envBody).contains("/usr/bin");
    }

    @Test
    void theHandlerSeesTheRequestAfterRewrite() throws Exception {
        ContentResponse echoed = request("/fn/hello/world?x=1&y=%20z").method("POST")
                .headers(h -> h.add("X-Multi", "one").add("X-Multi", "two").put("X-Forwarded-For", "6.6.6.6"))
                .body(new StringRequestContent("text/plain", "a body")).send();
        assertThat(echoed.getStatus()).as(echoed.getContentAsString()).isEqualTo(200);
        JsonNode seen = Json.mapper().readTree(echoed.getContentAsString());
        assertThat(seen.path("service_id").asText()).as(echoed.getContentAsString()).isEqualTo("echo");
        assertThat(seen.get("route_id").asText()).isEqualTo("r-echo");
        assertThat(seen.get("method").asText()).isEqualTo("POST");
        assertThat(seen.get("path").asText()).isEqualTo("/inner/hello/world");
        assertThat(seen.get("raw_query").asText()).isEqualTo("x=1&y=%20z");
        assertThat(seen.get("headers").get("x-multi").toString()).isEqualTo("[\"one\",\"two\"]");
        // Who asked is the listener's to say, as for a proxied service.
        assertThat(seen.get("headers").get("x-forwarded-for").toString()).isEqualTo("[\"127.0.0.1\"]");
        assertThat(seen.get("headers").get("x-forwarded-proto").toString()).isEqualTo("[\"http\"]");
        assertThat(seen.get("headers").get("content-type").get(0).asText()).startsWith("text/plain");
        assertThat(seen.get("length").asInt()).isEqualTo(6);
        assertThat(seen.get("start").asText()).isEqualTo("a body");
        // The route's methods still apply before any function runs.
        assertEnvelope(request("/fn").method("DELETE").send(), 405, "forbidden", "method is not allowed");

        // Bodies up to 8 MiB reach the function whole; one byte more is refused before it runs.
        byte[] limit = new byte[8 * 1024 * 1024];
        java.util.Arrays.fill(limit, (byte) 'x');
        ContentResponse whole = request("/fn").method("PUT").body(new BytesRequestContent(limit)).send();
        assertThat(whole.getStatus()).as(whole.getContentAsString()).isEqualTo(200);
        assertThat(Json.mapper().readTree(whole.getContentAsString()).get("length").asInt()).isEqualTo(limit.length);
        assertEnvelope(request("/fn").method("PUT").body(new BytesRequestContent(new byte[limit.length + 1])).send(),
                413, "bad_request", "request body too large");
        // Also when the body comes in chunks, its size unknown until it ends.
        assertEnvelope(request("/fn").method("PUT").body(new org.eclipse.jetty.client.InputStreamRequestContent(
                new java.io.ByteArrayInputStream(new byte[limit.length + 1]))).send(), 413, "bad_request",
                "request body too large");
    }

    @Test
    void failuresAnswerWithTheEnvelope() throws Exception {
        assertEnvelope(request("/boom").send(), 500, "function_failed",
                "function execution failed: ValueError: broken on purpose");
        assertEnvelope(request("/slow").send(), 504, "unavailable", "function execution timed out");
    }

    @Test
    void eventsStreamAsTheHandlerYieldsThem() throws Exception {
        // The first event arrives while the handler still holds the second back.
        String release = "/tmp/release-" + System.nanoTime();
        var listener = new InputStreamResponseListener();
        request("/events?release=" + release).headers(h -> h.put("Accept", "text/event-stream")).send(listener);
        var response = listener.get(60, TimeUnit.SECONDS);
        assertThat(response.getStatus()).isEqualTo(200);
        assertThat(response.getHeaders().get("Content-Type")).startsWith("text/event-stream");
        assertThat(response.getHeaders().get("X-Fn")).isEqualTo("sse");
        InputStream events = listener.getInputStream();
        assertThat(PublicClients.readUntil(events, "\n\n")).isEqualTo("data: first\n\n");
        write(release, "go");
        assertThat(new String(events.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("data: second\n\n");
    }

    @Test
    void aClientThatGoesAwayEndsTheFunction() throws Exception {
        // An HTTP/2 client resets its stream mid-response: the function streaming to it is ended.
        var h2c = PublicClients.h2c();
        try {
            String pidFile = "/tmp/ticker-" + System.nanoTime();
            var abandoned = new InputStreamResponseListener();
            Request stream = h2c.newRequest(base() + "/ticker?pid=" + pidFile)
                    .headers(h -> h.put("Accept", "text/event-stream")).timeout(60, TimeUnit.SECONDS);
            stream.send(abandoned);
            assertThat(abandoned.get(60, TimeUnit.SECONDS).getStatus()).isEqualTo(200);
            assertThat(PublicClients.readUntil(abandoned.getInputStream(), "\n\n")).isEqualTo("data: tick\n\n");
            var pid = server.authed("/api/v1/sandboxes/" + sandbox + "/files?path=" + pidFile);
            assertThat(pid.statusCode()).isEqualTo(200);
            String process = "/api/v1/sandboxes/" + sandbox + "/files/stat?path=/proc/" + pid.body();
            assertThat(server.authed(process).statusCode()).as("the function running").isEqualTo(200);
            stream.abort(new java.io.IOException("client went away"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (server.authed(process).statusCode() == 200) {
                assertThat(System.nanoTime()).as("the function ending").isLessThan(deadline);
                Thread.sleep(100);
            }
        } finally {
            h2c.stop();
        }
    }

    @Test
    void aWebSocketHandlerTalksWithTheClient() throws Exception {
        var texts = new LinkedBlockingQueue<String>();
        var binaries = new LinkedBlockingQueue<ByteBuffer>();
        var closes = new LinkedBlockingQueue<Integer>();
        Session session = webSockets.connect(new PublicClients.Messages(texts, binaries, closes),
                new ClientUpgradeRequest(URI.create(base().replace("http://", "ws://") + "/ws/room"))).get(60, TimeUnit.SECONDS);
        assertThat(texts.poll(60, TimeUnit.SECONDS)).isEqualTo("path /room");
        session.sendText("hello", Callback.NOOP);
        session.sendText("again", Callback.NOOP);
        assertThat(texts.poll(60, TimeUnit.SECONDS)).isEqualTo("echo: hello");
        assertThat(texts.poll(60, TimeUnit.SECONDS)).isEqualTo("echo: again");
        session.sendBinary(ByteBuffer.wrap(new byte[] {1, 2, 3, (byte) 255}), Callback.NOOP);
        ByteBuffer back = binaries.poll(60, TimeUnit.SECONDS);
        assertThat(back).isNotNull();
        byte[] got = new byte[back.remaining()];
        back.get(got);
        assertThat(got).containsExactly((byte) 255, 3, 2, 1);
        // The handler's close reaches the client with its code.
        session.sendText("bye", Callback.NOOP);
        assertThat(closes.poll(60, TimeUnit.SECONDS)).isEqualTo(4001);
    }

    @Test
    void aClientThatClosesEndsTheHandlersLoop() throws Exception {
        var texts = new LinkedBlockingQueue<String>();
        var closes = new LinkedBlockingQueue<Integer>();
        String done = "/tmp/ws-done-" + System.nanoTime();
        Session session = webSockets.connect(new PublicClients.Messages(texts, new LinkedBlockingQueue<>(), closes),
                new ClientUpgradeRequest(URI.create(base().replace("http://", "ws://") + "/listen?done=" + done)))
                .get(60, TimeUnit.SECONDS);
        session.sendText("one", Callback.NOOP);
        assertThat(texts.poll(60, TimeUnit.SECONDS)).isEqualTo("heard one");
        session.close(1000, "leaving", Callback.NOOP);
        assertThat(closes.poll(60, TimeUnit.SECONDS)).isEqualTo(1000);
        // The handler's `async for` ended: it ran on to write the file.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            var read = server.authed("/api/v1/sandboxes/" + sandbox + "/files?path=" + done);
            if (read.statusCode() == 200) {
                assertThat(read.body()).isEqualTo("closed");
                return;
            }
            assertThat(System.nanoTime()).as("the handler saw the client close").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    @Test
    void procdsRefusalIsTheClientsAnswer() throws Exception {
        assertEnvelope(request("/nopython").send(), 503, "unavailable", "function runtime unavailable");
        var refused = webSockets.connect(new PublicClients.Messages(new LinkedBlockingQueue<>(),
                new LinkedBlockingQueue<>(), new LinkedBlockingQueue<>()),
                new ClientUpgradeRequest(URI.create(base().replace("http://", "ws://") + "/nopython")));
        assertThat(refused).failsWithin(java.time.Duration.ofSeconds(60)).withThrowableOfType(
                java.util.concurrent.ExecutionException.class).havingCause()
                .isInstanceOfSatisfying(org.eclipse.jetty.websocket.api.exceptions.UpgradeException.class,
                        e -> assertThat(e.getResponseStatusCode()).isEqualTo(503));
    }
}
