package ai.sandbox0.server.tenancy;

import static ai.sandbox0.server.ApiReplies.ok;
import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.Json;
import ai.sandbox0.server.TestServer;
import ai.sandbox0.server.store.TestDatabases;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** A restarted server (on SQLite, and on PostgreSQL) keeps every user, session, team, key, SSH key and quota. */
@ParameterizedClass
@EnumSource(TestDatabases.Kind.class)
class TenancyRestartTest {

    @Parameter
    TestDatabases.Kind storeKind;

    @TempDir
    Path dataDir;

    @TempDir
    Path keyDir;

    private static HttpResponse<String> call(TestServer server, String method, String path, Object body, String token,
            String... headers) throws Exception {
        var request = HttpRequest.newBuilder(server.uri(path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(Json.mapper().writeValueAsString(body)))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json");
        return server.send(request, headers);
    }

    @Test
    void everythingOfTenancySurvivesARestart() throws Exception {
        String store = TestServer.storeOf(storeKind);
        String sshLine = new SshKeygen(keyDir).generate("ed25519", 0, "ada@laptop").publicLine();
        String adminPassword;
        String adaSession;
        String teamId;
        String adaKey;
        String refresh;
        try (TestServer server = TestServer.start(dataDir, store)) {
            adminPassword = server.adminPassword();
            server.createUser("ada@example.com", "ada-password");
            String first = server.login("ada@example.com", "ada-password");
            teamId = ok(call(server, "POST", "/teams", Map.of("name", "Ada's Lab"), first), 201).get("id").asText();
            ok(call(server, "POST", "/users/me/ssh-keys", Map.of("name", "laptop", "public_key", sshLine), first), 201);
            JsonNode login = ok(server.send(HttpRequest.newBuilder(server.uri("/auth/login"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"email\":\"ada@example.com\",\"password\":\"ada-password\"}"))
                    .header("Content-Type", "application/json")), 200);
            adaSession = login.get("access_token").asText();
            refresh = login.get("refresh_token").asText();
            ok(call(server, "POST", "/teams/" + teamId + "/members", Map.of("email", "admin@localhost", "role", "viewer"),
                    adaSession), 201);
            adaKey = ok(call(server, "POST", "/api-keys", Map.of("name", "ci", "roles", java.util.List.of("developer")),
                    adaSession, "X-Team-ID", teamId), 201).get("key").asText();
            ok(call(server, "PUT", "/api/v1/quotas/memory_mib", Map.of("limit_value", 8192), adaSession,
                    "X-Team-ID", teamId), 200);
        }

        try (TestServer server = TestServer.start(dataDir, store)) {
            assertThat(server.adminPassword()).isEqualTo(adminPassword);
            // The signing key and the sessions are in the store: a session from before goes on working.
            assertThat(ok(server.get("/users/me", "Authorization", "Bearer " + adaSession), 200).get("email").asText())
                    .isEqualTo("ada@example.com");
            assertThat(ok(server.send(HttpRequest.newBuilder(server.uri("/auth/refresh"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"refresh_token\":\"" + refresh + "\"}"))
                    .header("Content-Type", "application/json")), 200).get("access_token").asText()).isNotBlank();
            server.login("admin@localhost", adminPassword);

            JsonNode team = ok(call(server, "GET", "/teams/" + teamId, null, adaSession), 200);
            assertThat(team.get("name").asText()).isEqualTo("Ada's Lab");
            assertThat(ok(call(server, "GET", "/teams/" + teamId + "/members", null, adaSession), 200).get("members"))
                    .extracting(m -> m.get("role").asText()).containsExactlyInAnyOrder("admin", "viewer");
            assertThat(ok(call(server, "GET", "/api/v1/quotas/memory_mib", null, adaKey), 200).get("limit_value").asLong())
                    .isEqualTo(8192);
            assertThat(ok(call(server, "GET", "/api-keys/current", null, adaKey), 200).get("api_key").get("roles"))
                    .extracting(JsonNode::asText).containsExactly("developer");
            assertThat(ok(call(server, "GET", "/users/me/ssh-keys", null, adaSession), 200).get("ssh_keys"))
                    .extracting(k -> k.get("name").asText()).containsExactly("laptop");
        }
    }
}
