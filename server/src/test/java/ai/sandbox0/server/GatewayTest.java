package ai.sandbox0.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.api.Json;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gateway skeleton as a client sees it, against a real server on a real data dir. */
class GatewayTest {

    @TempDir
    Path dataDir;

    @Test
    void requestWithoutTokenGetsTheUpstream401Envelope() throws Exception {
        try (var server = TestServer.start(dataDir)) {
            HttpResponse<String> response = server.get("/api-keys/current");

            assertThat(response.statusCode()).isEqualTo(401);
            assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
            assertThat(Json.mapper().readTree(response.body())).isEqualTo(Json.mapper().readTree(
                    "{\"success\":false,\"error\":{\"code\":\"unauthorized\",\"message\":\"missing authorization header\"}}"));
        }
    }

    @Test
    void badCredentialsAre401WithAMessageThatDoesNotEchoTheToken() throws Exception {
        try (var server = TestServer.start(dataDir)) {
            String unknown = "s0_local_" + "ab".repeat(24);
            var cases = new String[][] {
                    {"Basic dXNlcjpwYXNz", "invalid authorization header format"},
                    {"Bearer", "invalid authorization header format"},
                    {"Bearer " + unknown, "invalid api key"},
                    {"Bearer s0_local_short", "invalid api key"},
                    {"Bearer not-an-api-key", "invalid token"},
            };
            for (String[] c : cases) {
                HttpResponse<String> response = server.get("/api-keys/current", "Authorization", c[0]);
                assertThat(response.statusCode()).as(c[0]).isEqualTo(401);
                JsonNode error = Json.mapper().readTree(response.body()).get("error");
                assertThat(error.get("code").asText()).isEqualTo("unauthorized");
                assertThat(error.get("message").asText()).isEqualTo(c[1]);
                assertThat(response.body()).doesNotContain(unknown);
            }
        }
    }

    @Test
    void adminKeyFromTheDataDirAnswersCurrentKey() throws Exception {
        try (var server = TestServer.start(dataDir)) {
            String key = server.adminKey();
            assertThat(key).matches("s0_local_[0-9a-f]{48}");
            assertThat(server.server().createdAdminKey()).hasValue(key);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dataDir.resolve("admin-api-key"))))
                    .isEqualTo("rw-------");

            HttpResponse<String> response = server.authed("/api-keys/current");

            assertThat(response.statusCode()).isEqualTo(200);
            JsonNode body = Json.mapper().readTree(response.body());
            assertThat(body.get("success").asBoolean()).isTrue();
            JsonNode apiKey = body.get("data").get("api_key");
            assertThat(apiKey.get("id").asText()).isNotBlank();
            assertThat(apiKey.get("team_id").asText()).isNotBlank();
            assertThat(apiKey.get("created_by").asText()).isNotBlank();
            assertThat(apiKey.get("scope").asText()).isEqualTo("team");
            assertThat(apiKey.get("roles")).containsExactly(Json.mapper().readTree("\"admin\""));
            assertThat(apiKey.get("permissions").toString()).contains("sandbox:create", "apikey:manage", "template:write");
            assertThat(apiKey.get("is_active").asBoolean()).isTrue();
            assertThat(apiKey.get("expires_at").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
            // the secret itself is never part of an answer
            assertThat(response.body()).doesNotContain(key);
        }
    }

    @Test
    void restartKeepsTheSameKeyAndDoesNotMintANewOne() throws Exception {
        String key;
        try (var first = TestServer.start(dataDir)) {
            key = first.adminKey();
        }
        try (var second = TestServer.start(dataDir)) {
            assertThat(second.server().createdAdminKey()).isEmpty();
            assertThat(second.adminKey()).isEqualTo(key);
            assertThat(second.authed("/api-keys/current").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aSecondServerOnTheSameDataDirIsRefused() {
        try (var first = TestServer.start(dataDir)) {
            assertThatThrownBy(() -> TestServer.start(dataDir))
                    .hasMessageContaining("in use by another s0 server")
                    .hasMessageContaining(Long.toString(ProcessHandle.current().pid()));
        }
    }

    @Test
    void unknownRouteIs404AndWrongMethodIs405WithAllow() throws Exception {
        try (var server = TestServer.start(dataDir)) {
            HttpResponse<String> missing = server.get("/api/v1/nope", "Authorization", "Bearer " + server.adminKey());
            assertThat(missing.statusCode()).isEqualTo(404);
            assertThat(Json.mapper().readTree(missing.body()).at("/error/code").asText()).isEqualTo("not_found");

            // (DELETE /api-keys/current is DELETE /api-keys/{id}, as upstream routes it.)
            HttpResponse<String> wrong = server.send(HttpRequest.newBuilder(server.uri("/auth/login"))
                    .DELETE());
            assertThat(wrong.statusCode()).isEqualTo(405);
            assertThat(wrong.headers().firstValue("Allow")).hasValue("POST");
            JsonNode error = Json.mapper().readTree(wrong.body()).get("error");
            assertThat(error.get("code").asText()).isEqualTo("method_not_allowed");
            assertThat(error.get("message").asText()).contains("DELETE", "/auth/login");
        }
    }

    @Test
    void healthReadinessAndMetadataNeedNoToken() throws Exception {
        try (var server = TestServer.start(dataDir)) {
            JsonNode health = Json.mapper().readTree(server.get("/healthz").body());
            assertThat(health.at("/data/status").asText()).isEqualTo("healthy");
            assertThat(health.at("/data/timestamp").asLong()).isPositive();

            HttpResponse<String> ready = server.get("/readyz");
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(Json.mapper().readTree(ready.body()).at("/data/status").asText()).isEqualTo("ready");

            JsonNode metadata = Json.mapper().readTree(server.get("/metadata").body()).get("data");
            assertThat(metadata.get("gateway_mode").asText()).isEqualTo("direct");
            assertThat(metadata.get("service").asText()).isEqualTo("sandbox0");
            assertThat(metadata.get("region").asText()).isEqualTo("local");
            assertThat(metadata.get("version").asText()).isEqualTo(Version.current()).isNotEqualTo("unknown");
            assertThat(metadata.get("features").isArray()).isTrue();
        }
    }

    @Test
    void metricsCountRequestsByRouteTemplateAndStatus() throws Exception {
        try (var server = TestServer.start(dataDir)) {
            server.get("/api-keys/current");
            server.authed("/api-keys/current");
            server.get("/no/such/route");

            HttpResponse<String> metrics = server.get("/metrics");

            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain");
            assertThat(metrics.body())
                    .contains("http_server_requests_seconds_count{method=\"GET\",route=\"/api-keys/current\",status=\"401\"} 1")
                    .contains("http_server_requests_seconds_count{method=\"GET\",route=\"/api-keys/current\",status=\"200\"} 1")
                    .contains("route=\"unmatched\",status=\"404\"")
                    .doesNotContain(server.adminKey());
        }
    }

    @Test
    void requestIdIsEchoedOrGenerated() throws Exception {
        try (var server = TestServer.start(dataDir)) {
            HttpResponse<String> given = server.get("/healthz", "X-Request-Id", "req-abc.123");
            assertThat(given.headers().firstValue("X-Request-Id")).hasValue("req-abc.123");

            HttpResponse<String> generated = server.get("/healthz");
            assertThat(generated.headers().firstValue("X-Request-Id").orElseThrow()).matches("[0-9a-f-]{36}");

            HttpResponse<String> hostile = server.get("/healthz", "X-Request-Id", "a b\tc");
            assertThat(hostile.headers().firstValue("X-Request-Id").orElseThrow()).matches("[0-9a-f-]{36}");
        }
    }
}
