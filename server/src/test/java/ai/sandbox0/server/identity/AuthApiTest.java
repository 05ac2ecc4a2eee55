package ai.sandbox0.server.identity;

import static ai.sandbox0.server.ApiReplies.assertError;
import static ai.sandbox0.server.ApiReplies.ok;
import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.Json;
import ai.sandbox0.server.ServerConfig;
import ai.sandbox0.server.TestServer;
import ai.sandbox0.server.store.TestDatabases;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code /auth/*} and {@code /users/me} over HTTP, on both stores: what a user logging in notices. */
@ParameterizedClass
@EnumSource(TestDatabases.Kind.class)
class AuthApiTest {

    @Parameter
    TestDatabases.Kind storeKind;

    @TempDir
    Path dataDir;

    private TestServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private TestServer start() {
        server = TestServer.start(dataDir, TestServer.storeOf(storeKind));
        return server;
    }

    private HttpResponse<String> post(String path, Object body, String... headers) throws Exception {
        var request = HttpRequest.newBuilder(server.uri(path))
                .POST(HttpRequest.BodyPublishers.ofString(body instanceof String s ? s : Json.mapper().writeValueAsString(body)))
                .header("Content-Type", "application/json");
        return server.send(request, headers);
    }

    private JsonNode login(String email, String password) throws Exception {
        return ok(post("/auth/login", Map.of("email", email, "password", password)), 200);
    }

    private static String[] bearer(String token, String... more) {
        String[] headers = new String[2 + more.length];
        headers[0] = "Authorization";
        headers[1] = "Bearer " + token;
        System.arraycopy(more, 0, headers, 2, more.length);
        return headers;
    }

    @Test
    void theFirstAdminLogsInWithTheGeneratedPasswordAndActsInTheirTeam() throws Exception {
        start();
        Path file = dataDir.resolve("admin-password");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");

        JsonNode login = login("Admin@Localhost", server.adminPassword());
        assertThat(login.get("user").get("email").asText()).isEqualTo("admin@localhost");
        assertThat(login.get("user").get("is_admin").asBoolean()).isTrue();
        assertThat(login.get("expires_at").asLong()).isGreaterThan(System.currentTimeMillis() / 1000 + 600);
        String access = login.get("access_token").asText();
        assertThat(access).doesNotStartWith("s0_");

        JsonNode me = ok(server.get("/users/me", bearer(access)), 200);
        assertThat(me.get("email").asText()).isEqualTo("admin@localhost");
        // One team granted: requests act in it without X-Team-ID.
        JsonNode quota = ok(server.get("/api/v1/quotas/active_sandboxes", bearer(access)), 200);
        String team = quota.get("team_id").asText();
        assertThat(ok(server.get("/api/v1/quotas/active_sandboxes", bearer(access, "X-Team-ID", team)), 200)
                .get("team_id").asText()).isEqualTo(team);
        assertError(server.get("/api/v1/quotas/active_sandboxes", bearer(access, "X-Team-ID", "00000000-0000-4000-8000-000000000000")),
                401, "unauthorized", "not a member of selected team");
    }

    @Test
    void wrongPasswordsAndUnknownUsersGetTheSame401() throws Exception {
        start();
        assertError(post("/auth/login", Map.of("email", "admin@localhost", "password", "wrong-password")), 401,
                "unauthorized", "invalid email or password");
        assertError(post("/auth/login", Map.of("email", "nobody@example.com", "password", "whatever1")), 401,
                "unauthorized", "invalid email or password");
    }

    @Test
    void repeatedFailuresAreThrottledWithRetryAfterEvenForTheRightPassword() throws Exception {
        start();
        for (int i = 0; i < 10; i++) {
            assertThat(post("/auth/login", Map.of("email", "admin@localhost", "password", "guess-" + i)).statusCode())
                    .isEqualTo(401);
        }
        HttpResponse<String> refused = post("/auth/login", Map.of("email", "admin@localhost", "password",
                server.adminPassword()));
        assertError(refused, 429, "unavailable", "too many login attempts");
        assertThat(Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow())).isBetween(1L, 300L);
    }

    @Test
    void malformedBodiesAre400s() throws Exception {
        start();
        assertError(post("/auth/login", "{\"email\":5,\"password\":\"x\"}"), 400, "bad_request", "email");
        assertError(post("/auth/login", "[]"), 400, "bad_request", "");
        assertError(post("/auth/login", "{not json"), 400, "bad_request", "");
        assertError(post("/auth/login", "{\"email\":\"admin@localhost\"}"), 400, "bad_request", "password is required");
        assertError(post("/auth/refresh", "{}"), 400, "bad_request", "refresh_token is required");
        assertError(post("/auth/login", Map.of("email", "a@b", "password", "x".repeat(5000))), 400, "bad_request",
                "at most 1024 bytes");
    }

    @Test
    void refreshRotatesAndAReusedRefreshTokenEndsTheSession() throws Exception {
        start();
        JsonNode first = login("admin@localhost", server.adminPassword());
        String refresh1 = first.get("refresh_token").asText();
        JsonNode second = ok(post("/auth/refresh", Map.of("refresh_token", refresh1)), 200);
        String refresh2 = second.get("refresh_token").asText();
        assertThat(refresh2).isNotEqualTo(refresh1);
        String access2 = second.get("access_token").asText();
        ok(server.get("/users/me", bearer(access2)), 200);

        // The first token was used: presenting it again means it was copied, so the whole session ends.
        assertError(post("/auth/refresh", Map.of("refresh_token", refresh1)), 401, "unauthorized", "already used");
        assertError(post("/auth/refresh", Map.of("refresh_token", refresh2)), 401, "unauthorized", "invalid refresh token");
        assertError(server.get("/users/me", bearer(access2)), 401, "unauthorized", "session has ended");
        // An access token is not a refresh token, and garbage is not either.
        assertError(post("/auth/refresh", Map.of("refresh_token", first.get("access_token").asText())), 401,
                "unauthorized", "invalid refresh token");
        assertError(post("/auth/refresh", Map.of("refresh_token", "garbage")), 401, "unauthorized", "invalid refresh token");
    }

    @Test
    void logoutEndsTheSessionAndLeavesOthersAlone() throws Exception {
        start();
        JsonNode one = login("admin@localhost", server.adminPassword());
        JsonNode two = login("admin@localhost", server.adminPassword());
        assertThat(ok(post("/auth/logout", "", bearer(one.get("access_token").asText())), 200).get("message").asText())
                .isEqualTo("logged out");
        assertError(server.get("/users/me", bearer(one.get("access_token").asText())), 401, "unauthorized", "session has ended");
        assertError(post("/auth/refresh", Map.of("refresh_token", one.get("refresh_token").asText())), 401,
                "unauthorized", "invalid refresh token");
        ok(server.get("/users/me", bearer(two.get("access_token").asText())), 200);
        // API keys are not sessions.
        assertError(post("/auth/logout", "", bearer(server.adminKey())), 403, "forbidden", "user session");
    }

    @Test
    void changingThePasswordChecksTheOldOneAndEndsOtherSessions() throws Exception {
        start();
        String password = server.adminPassword();
        JsonNode mine = login("admin@localhost", password);
        JsonNode other = login("admin@localhost", password);
        String access = mine.get("access_token").asText();
        assertError(post("/auth/change-password", Map.of("old_password", "not-it-at-all", "new_password", "new-password-1"),
                bearer(access)), 401, "unauthorized", "invalid email or password");
        assertError(post("/auth/change-password", Map.of("old_password", password, "new_password", "short"),
                bearer(access)), 400, "bad_request", "new_password must be at least 8 characters");
        assertThat(ok(post("/auth/change-password", Map.of("old_password", password, "new_password", "new-password-1"),
                bearer(access)), 200).get("message").asText()).isEqualTo("password changed successfully");

        ok(server.get("/users/me", bearer(access)), 200);
        assertError(server.get("/users/me", bearer(other.get("access_token").asText())), 401, "unauthorized",
                "session has ended");
        assertError(post("/auth/login", Map.of("email", "admin@localhost", "password", password)), 401, "unauthorized",
                "invalid email or password");
        login("admin@localhost", "new-password-1");
    }

    @Test
    void forgedAndTamperedTokensAre401() throws Exception {
        start();
        String access = login("admin@localhost", server.adminPassword()).get("access_token").asText();
        String[] parts = access.split("\\.");
        String payload = new String(Base64.getUrlDecoder().decode(parts[1]));
        String elevated = Base64.getUrlEncoder().withoutPadding().encodeToString(
                payload.replace("\"name\":\"Admin\"", "\"name\":\"Eve\"").getBytes());
        assertError(server.get("/users/me", bearer(parts[0] + "." + elevated + "." + parts[2])), 401, "unauthorized",
                "invalid token");
        String none = Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"none\"}".getBytes());
        assertError(server.get("/users/me", bearer(none + "." + parts[1] + ".")), 401, "unauthorized", "");
        assertError(server.get("/users/me", bearer("a.b.c")), 401, "unauthorized", "invalid token");
    }

    @Test
    void profileUpdatesAreValidated() throws Exception {
        start();
        String access = login("admin@localhost", server.adminPassword()).get("access_token").asText();
        var put = HttpRequest.newBuilder(server.uri("/users/me"))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"name\":\"Ada\",\"avatar_url\":\"https://example.com/a.png\"}"))
                .header("Content-Type", "application/json");
        JsonNode updated = ok(server.send(put, bearer(access)), 200);
        assertThat(updated.get("name").asText()).isEqualTo("Ada");
        assertThat(updated.get("avatar_url").asText()).isEqualTo("https://example.com/a.png");
        var blank = HttpRequest.newBuilder(server.uri("/users/me"))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"name\":\"   \"}")).header("Content-Type", "application/json");
        assertError(server.send(blank, bearer(access)), 400, "bad_request", "name cannot be whitespace");
        var script = HttpRequest.newBuilder(server.uri("/users/me"))
                .PUT(HttpRequest.BodyPublishers.ofString("{\"avatar_url\":\"javascript:alert(1)\"}"))
                .header("Content-Type", "application/json");
        assertError(server.send(script, bearer(access)), 400, "bad_request", "avatar_url");
        // API keys act for their user here.
        assertThat(ok(server.get("/users/me", bearer(server.adminKey())), 200).get("name").asText()).isEqualTo("Ada");
    }

    @Test
    void registrationIsOffByDefault() throws Exception {
        start();
        assertError(post("/auth/register", Map.of("email", "eve@example.com", "password", "long-enough", "name", "Eve")),
                403, "forbidden", "registration is disabled");
        JsonNode providers = ok(server.get("/auth/providers"), 200).get("providers");
        assertThat(providers).hasSize(1);
        assertThat(providers.get(0).get("id").asText()).isEqualTo("builtin");
    }

    @Test
    void whenOpenRegistrationCreatesAUserWithATeamOfTheirOwn() throws Exception {
        server = TestServer.start(dataDir, TestServer.storeOf(storeKind),
                config -> config.withIdentity(new ServerConfig.Identity("root@example.com", "operator-chosen-1", true)));
        assertThat(dataDir.resolve("admin-password")).doesNotExist();
        login("root@example.com", "operator-chosen-1");

        JsonNode created = ok(post("/auth/register", Map.of("email", "Ada@Example.com", "password", "long-enough",
                "name", "Ada")), 201);
        assertThat(created.get("user").get("is_admin").asBoolean()).isFalse();
        String access = created.get("access_token").asText();
        JsonNode quota = ok(server.get("/api/v1/quotas/active_sandboxes", bearer(access)), 200);
        JsonNode admins = ok(server.get("/api/v1/quotas/active_sandboxes", bearer(server.adminKey())), 200);
        assertThat(quota.get("team_id").asText()).isNotEqualTo(admins.get("team_id").asText());

        assertError(post("/auth/register", Map.of("email", "ada@example.com", "password", "long-enough", "name", "A2")),
                409, "conflict", "email already exists");
        assertError(post("/auth/register", Map.of("email", "bob@example.com", "password", "short", "name", "Bob")),
                400, "bad_request", "password must be at least 8 characters");
        assertError(post("/auth/register", Map.of("email", "not-an-email", "password", "long-enough", "name", "Bob")),
                400, "bad_request", "email must be an email address");
        assertError(post("/auth/register", Map.of("email", "bob@example.com", "password", "long-enough", "name", " ")),
                400, "bad_request", "name is required");
        login("ada@example.com", "long-enough");
    }

    @Test
    void anAdminFromBeforePasswordsGetsOneAtTheNextStart() throws Exception {
        String store = TestServer.storeOf(storeKind);
        server = TestServer.start(dataDir, store);
        server.execute("UPDATE users SET password_hash = NULL");
        server.close();
        Files.delete(dataDir.resolve("admin-password"));
        server = TestServer.start(dataDir, store);
        login("admin@localhost", server.adminPassword());
    }
}
