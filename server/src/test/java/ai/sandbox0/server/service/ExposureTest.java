package ai.sandbox0.server.service;

import static ai.sandbox0.server.ApiReplies.assertError;
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
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
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
 * Public services of a real sandbox, reached the way a browser or curl reaches them: by the public URL the API
 * reports, on the exposure listener. A Node app in the sandbox echoes what it receives.
 */
public class ExposureTest {

    private static final String TOKEN = "route-secret-token";
    private static final String HEADER_VALUE = "header-secret";

    private static Path dataDir;
    private static TestServer server;
    private static HttpClient http;
    private static WebSocketClient webSockets;
    private static String sandbox;

    @BeforeAll
    static void start() throws Exception {
        dataDir = Files.createTempDirectory("s0-exposure");
        server = TestServer.withSandboxes(dataDir);
        http = PublicClients.http();
        webSockets = new WebSocketClient(http);
        webSockets.setMaxBinaryMessageSize(1 << 20);
        webSockets.start();
        sandbox = ok(server.json("POST", "/api/v1/sandboxes", "{\"template\":\"default\"}"), 201).get("sandbox_id").asText();
        String app;
        try (InputStream in = ExposureTest.class.getResourceAsStream("/exposure/app.js")) {
            app = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        write("/opt/app.js", app);
        for (int port : new int[] {8080, 8081}) {
            ok(server.json("POST", "/api/v1/sandboxes/" + sandbox + "/contexts",
                    "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"node\",\"/opt/app.js\",\"" + port + "\"]}}"), 201);
        }
        try (InputStream in = ExposureTest.class.getResourceAsStream("/exposure/h2.js")) {
            write("/opt/h2.js", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        ok(server.json("POST", "/api/v1/sandboxes/" + sandbox + "/contexts",
                "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"node\",\"/opt/h2.js\",\"9090\"]}}"), 201);
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

    private static void write(String path, String content) throws Exception {
        ok(server.send(java.net.http.HttpRequest.newBuilder(server.uri("/api/v1/sandboxes/" + sandbox + "/files?path=" + path))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(content)),
                "Authorization", "Bearer " + server.adminKey(), "Content-Type", "application/octet-stream"), 200);
    }

    private static JsonNode putServices(String services) throws Exception {
        return ok(server.json("PUT", "/api/v1/sandboxes/" + sandbox + "/services", "{\"services\":" + services + "}"),
                200);
    }

    private static String sha256(String value) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
    }

    private static String base(int port) {
        return "http://" + sandbox + "--p" + port + ".local.localhost:" + server.server().exposurePort();
    }

    private static Request request(int port, String path) {
        return http.newRequest(base(port) + path).timeout(30, TimeUnit.SECONDS);
    }

    /** Until the app answers (node needs a moment to start after the context). */
    private static void awaitApp(int port) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            ContentResponse r = request(port, "/ready").send();
            if (r.getStatus() == 200) {
                return;
            }
            assertThat(System.nanoTime()).as("the app on %d answering (last: %d %s)", port, r.getStatus(),
                    r.getContentAsString()).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private static void assertEnvelope(ContentResponse response, int status, String code, String message) throws Exception {
        assertThat(response.getStatus()).as(response.getContentAsString()).isEqualTo(status);
        JsonNode error = Json.mapper().readTree(response.getContentAsString()).get("error");
        assertThat(error.get("code").asText()).isEqualTo(code);
        assertThat(error.get("message").asText()).isEqualTo(message);
    }

    private static final String SERVICES = """
            [{"id":"web","port":8080,"ingress":{"public":true,"routes":[
               {"id":"root","resume":false,"path_prefix":"/"},
               {"id":"api","resume":false,"path_prefix":"/api","rewrite_prefix":"/","methods":["get","POST"]},
               {"id":"bearer","resume":false,"path_prefix":"/private","auth":{"mode":"bearer","bearer_token_sha256":"%s"}},
               {"id":"header","resume":false,"path_prefix":"/hdr","auth":{"mode":"header","header_name":"x-api-key","header_value_sha256":"%s"}},
               {"id":"cors","resume":false,"path_prefix":"/cors","methods":["GET"],"cors":{"allowed_origins":["https://app.example"],
                 "allowed_methods":["GET","PUT"],"allowed_headers":["X-Custom"],"expose_headers":["X-App"],
                 "allow_credentials":true,"max_age_seconds":600}},
               {"id":"slow","resume":false,"path_prefix":"/slow","timeout_seconds":1},
               {"id":"limited","resume":false,"path_prefix":"/limited","rate_limit":{"rps":1,"burst":2}}]}},
             {"id":"internal","port":8081,"ingress":{"public":false}}]""";

    @Test
    void theServicesApiShowsEachServiceWithItsPublicUrl() throws Exception {
        JsonNode put = putServices(SERVICES.formatted(sha256(TOKEN), sha256(HEADER_VALUE)));
        assertThat(put.get("sandbox_id").asText()).isEqualTo(sandbox);
        String domain = "local.localhost:" + server.server().exposurePort();
        assertThat(put.get("exposure_domain").asText()).isEqualTo(domain);
        JsonNode web = put.get("services").get(0);
        assertThat(web.get("public_url").asText()).isEqualTo(base(8080));
        assertThat(web.get("publishable").asBoolean()).isFalse();
        assertThat(web.get("publish_blockers").toString()).isEqualTo("[\"missing_runtime\"]");
        assertThat(web.get("ingress").get("routes").get(1).get("methods").toString()).isEqualTo("[\"GET\",\"POST\"]");
        JsonNode internal = put.get("services").get(1);
        assertThat(internal.has("public_url")).isFalse();
        assertThat(internal.get("publish_blockers").get(0).asText()).isEqualTo("not_public");
        assertThat(ok(server.authed("/api/v1/sandboxes/" + sandbox + "/services"), 200)).isEqualTo(put);
        // Shown on the sandbox too.
        assertThat(ok(server.authed("/api/v1/sandboxes/" + sandbox), 200).get("services").get(0).get("id").asText())
                .isEqualTo("web");

        assertError(server.json("PUT", "/api/v1/sandboxes/" + sandbox + "/services", "{}"), 400, "bad_request",
                "services is required");
        assertError(server.json("PUT", "/api/v1/sandboxes/" + sandbox + "/services",
                "{\"services\":[{\"id\":\"Not A Label\",\"port\":80,\"ingress\":{\"public\":true}}]}"), 400, "bad_request",
                "failed to update sandbox services: services[0]: id must be a DNS label");
        assertError(server.authed("/api/v1/sandboxes/rs-nosuchsandbox/services"), 404, "not_found", "sandbox not found");
        // A failed PUT changed nothing.
        assertThat(ok(server.authed("/api/v1/sandboxes/" + sandbox + "/services"), 200)).isEqualTo(put);
        // PUT /sandboxes/{id} with config.services replaces them the same way, and [] clears them.
        ok(server.json("PUT", "/api/v1/sandboxes/" + sandbox,
                "{\"config\":{\"services\":[{\"id\":\"other\",\"port\":9000,\"ingress\":{\"public\":true}}]}}"), 200);
        JsonNode replaced = ok(server.authed("/api/v1/sandboxes/" + sandbox + "/services"), 200).get("services");
        assertThat(replaced).hasSize(1);
        assertThat(replaced.get(0).get("id").asText()).isEqualTo("other");
        assertThat(putServices("[]").get("services")).isEmpty();
    }

    @Test
    void publicRequestsPassThePipelineInUpstreamsOrder() throws Exception {
        putServices(SERVICES.formatted(sha256(TOKEN), sha256(HEADER_VALUE)));
        awaitApp(8080);

        // Proxied with the client's method, path, query and body; forwarded-for is ours, never the client's.
        ContentResponse echo = request(8080, "/hello/world?x=1&y=%20z").method("POST")
                .headers(h -> h.put("X-Forwarded-For", "6.6.6.6").put("X-Real-IP", "6.6.6.6"))
                .body(new StringRequestContent("text/plain", "a body")).send();
        assertThat(echo.getStatus()).as(echo.getContentAsString()).isEqualTo(200);
        JsonNode seen = Json.mapper().readTree(echo.getContentAsString());
        assertThat(seen.get("method").asText()).isEqualTo("POST");
        assertThat(seen.get("path").asText()).isEqualTo("/hello/world");
        assertThat(seen.get("query").asText()).isEqualTo("?x=1&y=%20z");
        assertThat(seen.get("length").asInt()).isEqualTo(6);
        JsonNode headers = seen.get("headers");
        assertThat(headers.get("x-forwarded-for").asText()).isEqualTo("127.0.0.1");
        assertThat(headers.has("x-real-ip")).isFalse();
        assertThat(headers.get("x-forwarded-host").asText()).isEqualTo(base(8080).substring("http://".length()));
        assertThat(headers.get("x-forwarded-proto").asText()).isEqualTo("http");
        assertThat(echo.getHeaders().get("x-app")).isEqualTo("exposure-test");
        // Hop-by-hop headers the app named in Connection stop at the proxy.
        assertThat(echo.getHeaders().get("x-hop")).isNull();

        // Rewrite: /api/hello reaches the app as /hello; methods are checked after the route is found.
        assertThat(Json.mapper().readTree(request(8080, "/api/hello").send().getContentAsString()).get("path").asText())
                .isEqualTo("/hello");
        assertThat(Json.mapper().readTree(request(8080, "/api").send().getContentAsString()).get("path").asText())
                .isEqualTo("/");
        assertEnvelope(request(8080, "/api/hello").method("DELETE").send(), 405, "forbidden", "method is not allowed");

        // Route auth: bearer and header, only digests stored.
        assertEnvelope(request(8080, "/private").send(), 401, "unauthorized", "missing bearer token");
        assertEnvelope(request(8080, "/private").headers(h -> h.put("Authorization", "Bearer wrong")).send(), 401,
                "unauthorized", "invalid bearer token");
        assertThat(request(8080, "/private").headers(h -> h.put("Authorization", "Bearer " + TOKEN)).send().getStatus())
                .isEqualTo(200);
        assertEnvelope(request(8080, "/hdr").send(), 401, "unauthorized", "invalid header credential");
        assertThat(request(8080, "/hdr/x").headers(h -> h.put("X-Api-Key", HEADER_VALUE)).send().getStatus())
                .isEqualTo(200);

        // CORS: preflight answered here, before the method check, without touching the app.
        ContentResponse preflight = request(8080, "/cors/thing").method("OPTIONS").headers(h -> h
                .put("Origin", "https://app.example").put("Access-Control-Request-Method", "PUT")).send();
        assertThat(preflight.getStatus()).isEqualTo(204);
        assertThat(preflight.getHeaders().get("Access-Control-Allow-Origin")).isEqualTo("https://app.example");
        assertThat(preflight.getHeaders().get("Access-Control-Allow-Methods")).isEqualTo("GET, PUT");
        assertThat(preflight.getHeaders().get("Access-Control-Allow-Headers")).isEqualTo("X-Custom");
        assertThat(preflight.getHeaders().get("Access-Control-Max-Age")).isEqualTo("600");
        assertThat(preflight.getHeaders().get("Access-Control-Allow-Credentials")).isEqualTo("true");
        assertEnvelope(request(8080, "/cors/thing").method("OPTIONS").headers(h -> h
                .put("Origin", "https://evil.example").put("Access-Control-Request-Method", "GET")).send(), 403,
                "forbidden", "origin is not allowed");
        assertEnvelope(request(8080, "/cors/thing").method("OPTIONS").headers(h -> h
                .put("Origin", "https://app.example").put("Access-Control-Request-Method", "DELETE")).send(), 405,
                "forbidden", "method is not allowed");
        ContentResponse simple = request(8080, "/cors/thing").headers(h -> h.put("Origin", "https://app.example")).send();
        assertThat(simple.getStatus()).isEqualTo(200);
        assertThat(simple.getHeaders().get("Access-Control-Allow-Origin")).isEqualTo("https://app.example");
        assertThat(simple.getHeaders().get("Access-Control-Expose-Headers")).isEqualTo("X-App");
        assertThat(simple.getHeaders().get("Vary")).contains("Origin");

        // Rate limit: a token bucket per route; refusals say when to come back.
        assertThat(request(8080, "/limited").send().getStatus()).isEqualTo(200);
        assertThat(request(8080, "/limited").send().getStatus()).isEqualTo(200);
        ContentResponse limited = null;
        for (int i = 0; i < 8 && (limited == null || limited.getStatus() != 429); i++) {
            limited = request(8080, "/limited").send();
        }
        assertEnvelope(limited, 429, "unavailable", "rate limit exceeded");
        assertThat(limited.getHeaders().get("Retry-After")).isEqualTo("1");

        // Upstream timeout of the route: 504; nothing listening: 502.
        assertEnvelope(request(8080, "/slow?ms=4000").send(), 504, "unavailable", "upstream request timed out");

        // What is not exposed: a private service, an unknown port, an unknown sandbox, a foreign host.
        assertEnvelope(request(8081, "/").send(), 404, "not_found", "route is not exposed");
        assertEnvelope(request(9999, "/").send(), 404, "not_found", "route is not exposed");
        assertEnvelope(http.newRequest("http://rs-nosuch--p8080.local.localhost:" + server.server().exposurePort() + "/")
                .send(), 404, "not_found", "sandbox rs-nosuch not found");
        assertEnvelope(http.newRequest("http://" + sandbox + ".local.localhost:" + server.server().exposurePort() + "/")
                .send(), 404, "not_found", "not found");
        assertEnvelope(http.newRequest("http://" + sandbox + "--p8080.elsewhere.localhost:"
                + server.server().exposurePort() + "/").send(), 404, "not_found", "not found");
        // The API is not reachable through the exposure listener, whatever the path.
        assertThat(http.newRequest("http://127.0.0.1:" + server.server().exposurePort() + "/api/v1/sandboxes")
                .headers(h -> h.put("Authorization", "Bearer " + adminKey())).send().getStatus()).isEqualTo(404);
    }

    private static String adminKey() {
        try {
            return server.adminKey();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void streamsFlowBothWaysUnbuffered() throws Exception {
        putServices(SERVICES.formatted(sha256(TOKEN), sha256(HEADER_VALUE)));
        awaitApp(8080);

        // Server-sent events: the first event arrives while the app still holds the second back.
        String release = "/tmp/release-" + System.nanoTime();
        var listener = new InputStreamResponseListener();
        request(8080, "/sse?release=" + release).headers(h -> h.put("Accept", "text/event-stream")).send(listener);
        var response = listener.get(30, TimeUnit.SECONDS);
        assertThat(response.getStatus()).isEqualTo(200);
        InputStream events = listener.getInputStream();
        String first = PublicClients.readUntil(events, "\n\n");
        assertThat(first).isEqualTo("data: first\n\n");
        write(release, "go");
        assertThat(new String(events.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("data: second\n\n");

        // An HTTP/2 client that resets its stream mid-response: the app sees its response closed. (Over HTTP/1.1
        // a closed connection is noticed at the next write, or after the listener's idle timeout.)
        var h2c = PublicClients.h2c();
        try {
            String closedFlag = "/tmp/closed-" + System.nanoTime();
            var abandoned = new InputStreamResponseListener();
            Request stream = h2c.newRequest(base(8080) + "/sse?release=/nonexistent&closed=" + closedFlag)
                    .timeout(60, TimeUnit.SECONDS);
            stream.send(abandoned);
            assertThat(abandoned.get(30, TimeUnit.SECONDS).getStatus()).isEqualTo(200);
            assertThat(PublicClients.readUntil(abandoned.getInputStream(), "\n\n")).isEqualTo("data: first\n\n");
            stream.abort(new java.io.IOException("client went away"));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (server.authed("/api/v1/sandboxes/" + sandbox + "/files?path=" + closedFlag).statusCode() != 200) {
                assertThat(System.nanoTime()).as("the app seeing the client go away").isLessThan(deadline);
                Thread.sleep(100);
            }
        } finally {
            h2c.stop();
        }

        // A large upload and a large download arrive whole.
        byte[] upload = new byte[24 * 1024 * 1024];
        new java.util.Random(7).nextBytes(upload);
        ContentResponse uploaded = request(8080, "/upload").method("POST")
                .body(new org.eclipse.jetty.client.BytesRequestContent(upload)).send();
        JsonNode seen = Json.mapper().readTree(uploaded.getContentAsString());
        assertThat(seen.get("length").asLong()).isEqualTo(upload.length);
        assertThat(seen.get("sha256").asText()).isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(upload)));
        var download = new InputStreamResponseListener();
        request(8080, "/big?mb=64").send(download);
        assertThat(download.get(30, TimeUnit.SECONDS).getStatus()).isEqualTo(200);
        long total = 0;
        try (InputStream in = download.getInputStream()) {
            byte[] buffer = new byte[256 * 1024];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                total += n;
            }
        }
        assertThat(total).isEqualTo(64L * 1024 * 1024);
    }

    @Test
    void http2ArrivesAsHttp2AndGrpcKeepsItsTrailers() throws Exception {
        putServices("[{\"id\":\"web\",\"port\":8080,\"ingress\":{\"public\":true}},"
                + "{\"id\":\"grpc\",\"port\":9090,\"ingress\":{\"public\":true}}]");
        awaitApp(8080);
        var h2c = PublicClients.h2c();
        try {
            // h2c with prior knowledge on the public side; the Node app behind speaks HTTP/1.1.
            ContentResponse plain = h2c.newRequest(base(8080) + "/over/h2").timeout(30, TimeUnit.SECONDS).send();
            assertThat(plain.getVersion()).isEqualTo(org.eclipse.jetty.http.HttpVersion.HTTP_2);
            assertThat(Json.mapper().readTree(plain.getContentAsString()).get("path").asText()).isEqualTo("/over/h2");

            // gRPC goes on as HTTP/2 (the server behind speaks nothing else) and its trailers come back.
            byte[] message = {0, 0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o'};
            ContentResponse grpc = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (grpc == null || grpc.getStatus() != 200) {
                assertThat(System.nanoTime()).as("the h2c server answering (last: %s)",
                        grpc == null ? null : grpc.getContentAsString()).isLessThan(deadline);
                if (grpc != null) {
                    Thread.sleep(100);
                }
                grpc = h2c.newRequest(base(9090) + "/echo.Echo/Say").method("POST").timeout(30, TimeUnit.SECONDS)
                        .headers(h -> h.put("TE", "trailers"))
                        .body(new org.eclipse.jetty.client.BytesRequestContent("application/grpc", message)).send();
            }
            assertThat(grpc.getContent()).isEqualTo(message);
            assertThat(grpc.getHeaders().get("x-path")).isEqualTo("/echo.Echo/Say");
            assertThat(grpc.getTrailers()).isNotNull();
            assertThat(grpc.getTrailers().get("grpc-status")).isEqualTo("0");
            assertThat(grpc.getTrailers().get("grpc-message")).isEqualTo("echoed");
        } finally {
            h2c.stop();
        }
    }

    @Test
    void webSocketsAreBridgedWithTheSubprotocolTheAppChose() throws Exception {
        putServices(SERVICES.formatted(sha256(TOKEN), sha256(HEADER_VALUE)));
        awaitApp(8080);
        var received = new LinkedBlockingQueue<String>();
        var binary = new LinkedBlockingQueue<ByteBuffer>();
        var closed = new LinkedBlockingQueue<Integer>();
        Session.Listener listener = new PublicClients.Messages(received, binary, closed);
        var upgrade = new ClientUpgradeRequest(URI.create(base(8080).replace("http://", "ws://") + "/ws"));
        upgrade.setSubProtocols("echo.v1", "other");
        Session session = webSockets.connect(listener, upgrade).get(30, TimeUnit.SECONDS);
        assertThat(session.getUpgradeResponse().getAcceptedSubProtocol()).isEqualTo("echo.v1");
        session.sendText("hello", Callback.NOOP);
        assertThat(received.poll(30, TimeUnit.SECONDS)).isEqualTo("echo: hello");
        byte[] big = new byte[200_000];
        new java.util.Random(3).nextBytes(big);
        session.sendBinary(ByteBuffer.wrap(big), Callback.NOOP);
        ByteBuffer back = binary.poll(30, TimeUnit.SECONDS);
        assertThat(back).isNotNull();
        byte[] got = new byte[back.remaining()];
        back.get(got);
        assertThat(got).isEqualTo(big);
        session.close(1000, "bye", Callback.NOOP);
        assertThat(closed.poll(30, TimeUnit.SECONDS)).isEqualTo(1000);

        // A WebSocket to a port where nothing listens is refused before any upgrade.
        putServices("[{\"id\":\"dead\",\"port\":8099,\"ingress\":{\"public\":true}}]");
        var failed = webSockets.connect(listener, new ClientUpgradeRequest(
                URI.create(base(8099).replace("http://", "ws://") + "/ws")));
        assertThat(failed).failsWithin(Duration.ofSeconds(30));
        assertEnvelope(request(8099, "/").send(), 502, "unavailable", "upstream service unavailable");
    }

}
