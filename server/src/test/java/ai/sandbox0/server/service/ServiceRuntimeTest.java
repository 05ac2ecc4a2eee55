package ai.sandbox0.server.service;

import static ai.sandbox0.server.ApiReplies.ok;
import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.Json;
import ai.sandbox0.server.TestServer;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * cmd services of a real sandbox (spec §7.5) and resume on request (§2.5, §7.4 step 9), seen from the public
 * URL: the first request starts the service's command, later ones reuse it, and a paused sandbox wakes for a
 * route that allows it, with its command started again.
 */
public class ServiceRuntimeTest {

    private static final String TOKEN = "wake-token";

    private static Path dataDir;
    private static TestServer server;
    private static HttpClient http;
    private static String sandbox;

    @BeforeAll
    static void start() throws Exception {
        dataDir = Files.createTempDirectory("s0-service-runtime");
        server = TestServer.withSandboxes(dataDir);
        http = PublicClients.http();
        sandbox = ok(server.json("POST", "/api/v1/sandboxes", "{\"template\":\"default\"}"), 201).get("sandbox_id").asText();
        write("/opt/site/index.html", "hello from a cmd service\n");
        write("/opt/site/healthz", "ok\n");
    }

    @AfterAll
    static void stop() throws Exception {
        try {
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

    /** Each test starts on a running sandbox that answers resume routes, whatever the one before left. */
    @BeforeEach
    void running() throws Exception {
        JsonNode now = sandbox();
        if (!now.get("auto_resume").asBoolean()) {
            ok(server.json("PUT", "/api/v1/sandboxes/" + sandbox, "{\"config\":{\"auto_resume\":true}}"), 200);
        }
        if (!now.get("status").asText().equals("running")) {
            await(s -> s.get("status").asText().matches("running|paused"), "settled");
            if (sandbox().get("status").asText().equals("paused")) {
                ok(server.json("POST", "/api/v1/sandboxes/" + sandbox + "/resume", null), 200);
            }
            await(s -> s.get("status").asText().equals("running"), "running");
        }
    }

    private static void write(String path, String content) throws Exception {
        ok(server.send(java.net.http.HttpRequest.newBuilder(server.uri("/api/v1/sandboxes/" + sandbox + "/files?path=" + path))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(content)),
                "Authorization", "Bearer " + server.adminKey(), "Content-Type", "application/octet-stream"), 200);
    }

    private static void putServices(String services) throws Exception {
        ok(server.json("PUT", "/api/v1/sandboxes/" + sandbox + "/services", "{\"services\":" + services + "}"), 200);
    }

    private static JsonNode sandbox() throws Exception {
        return ok(server.authed("/api/v1/sandboxes/" + sandbox), 200);
    }

    private static String status() throws Exception {
        return sandbox().get("status").asText();
    }

    private static JsonNode await(Predicate<JsonNode> condition, String what) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        JsonNode now = sandbox();
        while (!condition.test(now)) {
            assertThat(System.nanoTime()).as("%s (last: %s)", what, now).isLessThan(deadline);
            Thread.sleep(100);
            now = sandbox();
        }
        return now;
    }

    private static void pause() throws Exception {
        ok(server.json("POST", "/api/v1/sandboxes/" + sandbox + "/pause", null), 200);
        await(s -> s.get("status").asText().equals("paused"), "paused");
    }

    /** The running cmd contexts procd has for a service, as the contexts API lists them. */
    private static List<JsonNode> serviceContexts(String serviceId) throws Exception {
        var found = new ArrayList<JsonNode>();
        for (JsonNode context : ok(server.authed("/api/v1/sandboxes/" + sandbox + "/contexts"), 200).get("contexts")) {
            JsonNode env = context.get("env_vars");
            if (context.get("running").asBoolean() && env.has("SANDBOX0_SERVICE_ID")
                    && env.get("SANDBOX0_SERVICE_ID").asText().equals(serviceId)) {
                found.add(context);
            }
        }
        return found;
    }

    private static String base(int port) {
        return "http://" + sandbox + "--p" + port + ".local.localhost:" + server.server().exposurePort();
    }

    private static Request request(int port, String path) {
        return http.newRequest(base(port) + path).timeout(120, TimeUnit.SECONDS);
    }

    private static void assertEnvelope(ContentResponse response, int status, String code, String message) throws Exception {
        assertThat(response.getStatus()).as(response.getContentAsString()).isEqualTo(status);
        JsonNode error = Json.mapper().readTree(response.getContentAsString()).get("error");
        assertThat(error.get("code").asText()).isEqualTo(code);
        assertThat(error.get("message").asText()).isEqualTo(message);
    }

    private static void assertServed(ContentResponse response) {
        assertThat(response.getStatus()).as(response.getContentAsString()).isEqualTo(200);
        assertThat(response.getContentAsString()).isEqualTo("hello from a cmd service\n");
    }

    /** A python http.server in /opt/site on {@code port}, as the cmd service {@code id}. */
    private static String site(String id, int port, String routes) {
        return """
                {"id":"%s","port":%d,"health_check":{"path":"/healthz"},
                 "runtime":{"type":"cmd","command":["python3","-m","http.server","%d","--bind","0.0.0.0"],
                   "cwd":"/opt/site","env_vars":{"GREETING":"hi"}},
                 "ingress":{"public":true,"routes":%s}}""".formatted(id, port, port, routes);
    }

    @Test
    void theFirstRequestStartsTheCommandAndLaterOnesReuseIt() throws Exception {
        putServices("[" + site("site", 8080, "[{\"id\":\"all\",\"resume\":false}]") + "]");
        assertThat(serviceContexts("site")).isEmpty();

        assertServed(request(8080, "/").send());
        assertServed(request(8080, "/index.html").send());
        assertServed(request(8080, "/").send());

        List<JsonNode> contexts = serviceContexts("site");
        assertThat(contexts).hasSize(1);
        JsonNode context = contexts.getFirst();
        assertThat(context.get("type").asText()).isEqualTo("cmd");
        assertThat(context.get("cwd").asText()).isEqualTo("/opt/site");
        assertThat(context.get("command").toString())
                .isEqualTo("[\"python3\",\"-m\",\"http.server\",\"8080\",\"--bind\",\"0.0.0.0\"]");
        assertThat(context.get("env_vars").get("GREETING").asText()).isEqualTo("hi");
        assertThat(context.get("env_vars").get("SANDBOX0_SERVICE_PORT").asText()).isEqualTo("8080");
        assertThat(context.get("env_vars").get("SANDBOX0_SERVICE_RUNTIME").asText()).isEqualTo("cmd");

        // The command goes away: a request reaching its closed port fails once (502), and the next starts it again.
        ok(server.json("DELETE", "/api/v1/sandboxes/" + sandbox + "/contexts/" + context.get("id").asText(), null), 200);
        boolean restarted = false;
        for (int i = 0; i < 5 && !restarted; i++) {
            ContentResponse again = request(8080, "/").send();
            assertThat(again.getStatus()).as(again.getContentAsString()).isIn(200, 502);
            restarted = again.getStatus() == 200 && serviceContexts("site").size() == 1;
        }
        assertThat(restarted).as("the command started again").isTrue();
        assertThat(serviceContexts("site").getFirst().get("id").asText()).isNotEqualTo(context.get("id").asText());
    }

    @Test
    void concurrentFirstRequestsStartTheCommandOnce() throws Exception {
        putServices("[" + site("crowd", 8082, "[{\"id\":\"all\",\"resume\":false}]") + "]");
        assertThat(serviceContexts("crowd")).isEmpty();
        var responses = new ArrayList<Future<ContentResponse>>();
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 10; i++) {
                responses.add(threads.submit((Callable<ContentResponse>) () -> request(8082, "/").send()));
            }
        }
        for (Future<ContentResponse> response : responses) {
            assertServed(response.get());
        }
        assertThat(serviceContexts("crowd")).hasSize(1);
    }

    @Test
    void aCommandThatNeverListensOrCannotStartIsUnavailable() throws Exception {
        putServices("""
                [{"id":"mute","port":8083,"runtime":{"type":"cmd","command":["sleep","600"]},
                  "ingress":{"public":true,"routes":[{"id":"all","resume":false,"timeout_seconds":2}]}},
                 {"id":"broken","port":8084,"runtime":{"type":"cmd","command":["python3","-m","http.server","8084"],
                   "cwd":"/no/such/dir"},
                  "ingress":{"public":true,"routes":[{"id":"all","resume":false}]}}]""");
        assertEnvelope(request(8083, "/").send(), 503, "unavailable", "sandbox service runtime unavailable");
        // It was started (and keeps running): a second request waits for it again rather than starting another.
        assertThat(serviceContexts("mute")).hasSize(1);
        assertEnvelope(request(8083, "/").send(), 503, "unavailable", "sandbox service runtime unavailable");
        assertThat(serviceContexts("mute")).hasSize(1);
        // procd refuses to start it (no such cwd).
        assertEnvelope(request(8084, "/").send(), 503, "unavailable", "sandbox service runtime unavailable");
        assertThat(serviceContexts("broken")).isEmpty();
    }

    @Test
    void aPausedSandboxWakesOnlyForARouteThatAllowsIt() throws Exception {
        String routes = """
                [{"id":"wake","resume":true,"path_prefix":"/"},
                 {"id":"sleepy","resume":false,"path_prefix":"/sleepy","rewrite_prefix":"/"},
                 {"id":"private","resume":true,"path_prefix":"/private","rewrite_prefix":"/",
                  "auth":{"mode":"bearer","bearer_token_sha256":"%s"}},
                 {"id":"limited","resume":%s,"path_prefix":"/limited","rewrite_prefix":"/",
                  "rate_limit":{"rps":1,"burst":%d}}]""";
        String digest = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(TOKEN.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        putServices("[" + site("site", 8085, routes.formatted(digest, false, 200)) + "]");
        assertServed(request(8085, "/").send());
        pause();

        // A route without resume, failed route auth, a rate limit: each answered with the sandbox left asleep.
        assertEnvelope(request(8085, "/sleepy").send(), 503, "unavailable", "sandbox is not running and resume is disabled");
        assertEnvelope(request(8085, "/private").send(), 401, "unauthorized", "missing bearer token");
        // Empty the bucket through a route that cannot wake the sandbox, then let the route wake it: the bucket stays
        // empty (it refills 1 a second while it was 200 deep), so the next request is refused before any resume.
        ContentResponse limited = null;
        for (int i = 0; i < 400 && (limited == null || limited.getStatus() != 429); i++) {
            limited = request(8085, "/limited").send();
            if (limited.getStatus() != 429) {
                assertEnvelope(limited, 503, "unavailable", "sandbox is not running and resume is disabled");
            }
        }
        assertEnvelope(limited, 429, "unavailable", "rate limit exceeded");
        putServices("[" + site("site", 8085, routes.formatted(digest, true, 1)) + "]");
        assertEnvelope(request(8085, "/limited").send(), 429, "unavailable", "rate limit exceeded");
        assertThat(status()).isEqualTo("paused");

        // A route with resume wakes it, and the command, lost with the pause, is started again.
        assertServed(request(8085, "/private").headers(h -> h.put("Authorization", "Bearer " + TOKEN)).send());
        assertThat(status()).isEqualTo("running");
        assertThat(serviceContexts("site")).hasSize(1);
        assertServed(request(8085, "/").send());

        // Without auto_resume nothing wakes it, whatever its routes say.
        putServices("[" + site("site", 8085, "[{\"id\":\"all\",\"resume\":false}]") + "]");
        ok(server.json("PUT", "/api/v1/sandboxes/" + sandbox, "{\"config\":{\"auto_resume\":false}}"), 200);
        pause();
        assertEnvelope(request(8085, "/").send(), 503, "unavailable",
                "sandbox is not running and auto_resume is disabled");
        assertThat(status()).isEqualTo("paused");
    }
}
