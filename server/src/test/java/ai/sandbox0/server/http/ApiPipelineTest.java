package ai.sandbox0.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.Json;
import ai.sandbox0.api.network.SandboxNetworkPolicy;
import ai.sandbox0.server.auth.AuthenticationFailure;
import ai.sandbox0.server.auth.Permission;
import ai.sandbox0.server.auth.Principal;
import ai.sandbox0.server.auth.Role;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The HTTP pipeline with JSON-taking routes: bad input always leaves as a 4xx envelope naming the problem. */
class ApiPipelineTest {

    private static final String TOKEN = "s0_local_" + "0123456789abcdef".repeat(3);
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    enum Mode {
        @JsonProperty("allow-all") ALLOW_ALL,
        @JsonProperty("block-all") BLOCK_ALL
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record Mount(String mountPoint, Integer port) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record Config(Integer ttl, Integer hardTtl, Mode mode, Instant expiresAt) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record Claim(String template, Config config, List<Mount> mounts) {
    }

    private HttpApi http;
    private ListAppender<ILoggingEvent> logs;

    @BeforeEach
    void start() {
        Principal viewer = new Principal("team-1", "user-1", "key-1", null, Set.of(Role.VIEWER), false);
        var router = new Router()
                .add(Route.authenticated("POST", "/claims", call -> Reply.created(call.body(Claim.class))))
                .add(Route.authenticated("POST", "/network", call -> Reply.ok(call.body(SandboxNetworkPolicy.class))))
                .add(Route.authenticated("POST", "/optional", call -> Reply.ok(Map.of("got", call.optionalBody(Claim.class) != null))))
                .add(Route.requires(Permission.SANDBOX_CREATE, "POST", "/sandboxes", call -> Reply.ok(Map.of())))
                .add(Route.authenticated("GET", "/things/{id}", call -> Reply.ok(Map.of("id", call.pathParam("id")))))
                .add(Route.authenticated("GET", "/boom", call -> {
                    throw new IllegalStateException("secret internal detail in ai.sandbox0.Something");
                }));
        var handler = new ApiHandler(router, (authorization, team) -> {
            if (!("Bearer " + TOKEN).equals(authorization)) {
                throw new AuthenticationFailure("invalid api key");
            }
            return viewer;
        }, new HttpMetrics(new SimpleMeterRegistry()), 1024);
        http = new HttpApi(new InetSocketAddress("127.0.0.1", 0), handler, 64, 1000);
        http.start();

        logs = new ListAppender<>();
        logs.start();
        ((Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).addAppender(logs);
    }

    @AfterEach
    void stop() {
        ((Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
        http.close();
    }

    @Test
    void validBodyIsParsedAndUnknownFieldsAreIgnored() throws Exception {
        HttpResponse<String> response = post("/claims", "{\"template\":\"default\",\"surprise\":1,\"config\":{\"ttl\":5,\"mode\":\"block-all\"}}");

        assertThat(response.statusCode()).isEqualTo(201);
        assertThat(data(response)).isEqualTo(Json.mapper().readTree(
                "{\"template\":\"default\",\"config\":{\"ttl\":5,\"mode\":\"block-all\"}}"));
    }

    @Test
    void malformedJsonIs400WithItsPosition() throws Exception {
        assertBadRequest(post("/claims", "{\"template\":"), "malformed JSON at line 1, column 13: Unexpected end-of-input within/between Object entries");
    }

    @Test
    void wrongTypesAre400NamingTheField() throws Exception {
        assertBadRequest(post("/claims", "{\"config\":{\"ttl\":\"5\"}}"), "invalid value for field 'config.ttl': expected an integer");
        assertBadRequest(post("/claims", "{\"config\":{\"hard_ttl\":1.5}}"), "invalid value for field 'config.hard_ttl': expected an integer");
        assertBadRequest(post("/claims", "{\"template\":{}}"), "invalid value for field 'template': expected a string");
        assertBadRequest(post("/claims", "{\"mounts\":[{\"port\":true}]}"), "invalid value for field 'mounts[0].port': expected an integer");
        assertBadRequest(post("/claims", "{\"mounts\":{}}"), "invalid value for field 'mounts': expected an array");
        assertBadRequest(post("/claims", "{\"config\":{\"expires_at\":\"tomorrow\"}}"),
                "invalid value for field 'config.expires_at': expected an RFC 3339 timestamp string");
        assertBadRequest(post("/claims", "[1,2]"), "request body must be an object in JSON");
    }

    @Test
    void unknownEnumValueIs400ListingTheAllowedValues() throws Exception {
        assertBadRequest(post("/claims", "{\"config\":{\"mode\":\"open\"}}"),
                "invalid value \"open\" for field 'config.mode': expected one of allow-all, block-all");
    }

    @Test
    void contractEnumsExplainTheirValues() throws Exception {
        assertBadRequest(post("/network", "{\"mode\":\"open\"}"),
                "invalid value for field 'mode': unknown value \"open\", expected one of allow-all, block-all");
        assertBadRequest(post("/network", "{\"mode\":\"block-all\",\"egress\":{\"trafficRules\":[{\"action\":\"allow\",\"appProtocols\":[\"ftp\"]}]}}"),
                "invalid value for field 'egress.trafficRules[0].appProtocols[0]': unknown value \"ftp\", expected one of "
                        + "http, tls, ssh, socks5, mqtt, redis, amqp, dns, mongodb, udp");
        assertBadRequest(post("/claims", "{\"template\":5}"), "invalid value for field 'template': expected a string");
    }

    /** A long value where an enum belongs (up to the body limit: megabytes) is not quoted back whole. */
    @Test
    void enumValuesQuotedBackAreCut() throws Exception {
        String huge = "x".repeat(900);
        assertBadRequest(post("/network", "{\"mode\":\"" + huge + "\"}"), "invalid value for field 'mode': unknown"
                + " value \"" + "x".repeat(64) + "…\", expected one of allow-all, block-all");
        assertBadRequest(post("/claims", "{\"config\":{\"mode\":\"" + huge + "\"}}"),
                "invalid value \"" + "x".repeat(64) + "…\" for field 'config.mode': expected one of allow-all, block-all");
        // an emoji is two chars: the cut never leaves half of one
        String emoji = "a" + "\uD83D\uDC4D".repeat(50);
        String message = Json.mapper().readTree(post("/network", "{\"mode\":\"" + emoji + "\"}").body())
                .get("error").get("message").asText();
        assertThat(message).contains("\"a" + "\uD83D\uDC4D".repeat(31) + "…\"");
    }

    /** An unmatched path of kilobytes is named in the 404, but not quoted back whole. */
    @Test
    void unmatchedPathsQuotedBackAreCut() throws Exception {
        String tail = "y".repeat(8_000);
        var notFound = send(HttpRequest.newBuilder(uri("/nowhere/" + tail)).GET());
        assertThat(notFound.statusCode()).isEqualTo(404);
        assertThat(Json.mapper().readTree(notFound.body()).get("error").get("message").asText())
                .isEqualTo("no route for GET /nowhere/" + "y".repeat(200 - "/nowhere/".length()) + "…");
        assertThat(notFound.body().length()).isLessThan(500);
    }

    @Test
    void missingAndOptionalBodies() throws Exception {
        assertBadRequest(post("/claims", ""), "request body is required");
        HttpResponse<String> optional = post("/optional", "");
        assertThat(optional.statusCode()).isEqualTo(200);
        assertThat(data(optional).get("got").asBoolean()).isFalse();
    }

    @Test
    void oversizedBodyIs413() throws Exception {
        HttpResponse<String> response = post("/claims", "{\"template\":\"" + "x".repeat(2000) + "\"}");

        assertThat(response.statusCode()).isEqualTo(413);
        JsonNode error = Json.mapper().readTree(response.body()).get("error");
        assertThat(error.get("code").asText()).isEqualTo("bad_request");
        assertThat(error.get("message").asText()).isEqualTo("request body is too large: the limit is 1024 bytes");
    }

    @Test
    void missingPermissionIs403() throws Exception {
        HttpResponse<String> response = post("/sandboxes", "{}");

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(Json.mapper().readTree(response.body()).get("error").get("code").asText()).isEqualTo("forbidden");
    }

    @Test
    void pathParametersReachTheEndpoint() throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/things/rs-abc")).GET());

        assertThat(data(response).get("id").asText()).isEqualTo("rs-abc");
    }

    @Test
    void unexpectedFailureIs500WithoutInternalsAndIsLoggedWithTheRequestId() throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/boom")).header("X-Request-Id", "req-42").GET());

        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(response.body()).isEqualTo(
                "{\"success\":false,\"error\":{\"code\":\"internal_error\",\"message\":\"internal error (request id req-42)\"}}");
        assertThat(logged()).anySatisfy(event -> {
            assertThat(event.getThrowableProxy()).isNotNull();
            assertThat(event.getMDCPropertyMap()).containsEntry("request_id", "req-42");
        });
    }

    /** A copy of what was logged so far; the appender adds under its own lock while requests finish. */
    private List<ILoggingEvent> logged() {
        synchronized (logs) {
            return List.copyOf(logs.list);
        }
    }

    @Test
    void credentialsNeverReachTheLogs() throws Exception {
        String wrong = "s0_local_" + "f".repeat(48);
        send(HttpRequest.newBuilder(uri("/claims")).header("Authorization", "Bearer " + wrong)
                .POST(HttpRequest.BodyPublishers.ofString("{}")));
        post("/claims", "{\"template\":\"t\"}");

        // The access log line is written after the reply is sent: wait for both requests' lines.
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (logged().stream().filter(e -> e.getFormattedMessage().startsWith("POST /claims")).count() < 2
                && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        List<ILoggingEvent> events = logged();
        assertThat(events).isNotEmpty();
        assertThat(events).allSatisfy(event -> {
            assertThat(event.getFormattedMessage()).doesNotContain(wrong).doesNotContain(TOKEN);
            assertThat(event.getMDCPropertyMap().toString()).doesNotContain(wrong).doesNotContain(TOKEN);
        });
        assertThat(events).anySatisfy(event -> assertThat(event.getFormattedMessage()).contains("POST /claims 401"));
    }

    @Test
    void aConnectionStaysUsableAfterARejectedBodyArrivesLate() throws Exception {
        try (var socket = new Socket("127.0.0.1", http.port())) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            // The client sends the headers, then the body a moment later, as HTTP clients do.
            out.write(("POST /claims HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            Thread.sleep(200);
            out.write(("{}GET /things/next HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            String both = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);

            assertThat(both).startsWith("HTTP/1.1 401");
            assertThat(both).contains("HTTP/1.1 200").contains("\"id\":\"next\"");
        }
    }

    @Test
    void aLargeUnreadBodyClosesTheConnectionInsteadOfLeavingItBehind() throws Exception {
        String reply = rawRequest("POST /claims HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\n"
                + "Content-Length: 100000\r\n\r\n{");

        assertThat(reply).startsWith("HTTP/1.1 401").containsIgnoringCase("Connection: close");
    }

    @Test
    void protocolErrorsBelowRoutingAreJsonToo() throws Exception {
        String oversizedHeader = rawRequest("GET /things/x HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n");
        assertThat(oversizedHeader).startsWith("HTTP/1.1 431");
        assertThat(oversizedHeader).contains("application/json").contains("\"success\":false").contains("\"code\":\"bad_request\"");

        String badLength = rawRequest("POST /claims HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n");
        assertThat(badLength).startsWith("HTTP/1.1 400");
        assertThat(badLength).contains("\"success\":false").contains("\"code\":\"bad_request\"");
    }

    private void assertBadRequest(HttpResponse<String> response, String message) throws IOException {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        JsonNode error = Json.mapper().readTree(response.body()).get("error");
        assertThat(error.get("code").asText()).isEqualTo("bad_request");
        assertThat(error.get("message").asText()).isEqualTo(message);
        assertThat(response.body()).doesNotContain("ai.sandbox0").doesNotContain("java.");
    }

    private HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private HttpResponse<String> send(HttpRequest.Builder builder) throws IOException, InterruptedException {
        var request = builder.build();
        if (request.headers().firstValue("Authorization").isEmpty()) {
            request = HttpRequest.newBuilder(request, (name, value) -> true).header("Authorization", "Bearer " + TOKEN).build();
        }
        return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode data(HttpResponse<String> response) throws IOException {
        return Json.mapper().readTree(response.body()).get("data");
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + http.port() + path);
    }

    private String rawRequest(String request) throws IOException {
        try (var socket = new Socket("127.0.0.1", http.port())) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}
