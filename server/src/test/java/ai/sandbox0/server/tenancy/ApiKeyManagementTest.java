package ai.sandbox0.server.tenancy;

import static ai.sandbox0.server.ApiReplies.assertError;
import static ai.sandbox0.server.ApiReplies.ok;
import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.Json;
import ai.sandbox0.server.TestServer;
import ai.sandbox0.server.auth.Permission;
import ai.sandbox0.server.auth.Role;
import ai.sandbox0.server.identity.PasswordHasher;
import ai.sandbox0.server.identity.TeamRecord;
import ai.sandbox0.server.identity.TeamStore;
import ai.sandbox0.server.identity.UserAccount;
import ai.sandbox0.server.identity.UserStore;
import ai.sandbox0.server.store.TestDatabases;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code /api-keys} management over HTTP, on both stores: what a team admin managing keys notices. */
@ParameterizedClass
@EnumSource(TestDatabases.Kind.class)
class ApiKeyManagementTest {

    private static final String QUOTA = "/api/v1/quotas/active_sandboxes";
    private static final String PASSWORD = "correct-horse-battery";

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
        server = TestServer.start(dataDir, TestServer.storeOf(storeKind),
                config -> config.withApiKeyUsageFlush(Duration.ofMillis(100)));
        return server;
    }

    // ---- helpers -------------------------------------------------------------------------------------

    private HttpResponse<String> call(String method, String path, String token, Object body, String... headers)
            throws Exception {
        var publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body instanceof String s ? s : Json.mapper().writeValueAsString(body));
        var all = new ArrayList<>(List.of("Authorization", "Bearer " + token, "Content-Type", "application/json"));
        all.addAll(List.of(headers));
        return server.send(HttpRequest.newBuilder(server.uri(path)).method(method, publisher), all.toArray(String[]::new));
    }

    private String login(String email, String password) throws Exception {
        var request = HttpRequest.newBuilder(server.uri("/auth/login"))
                .POST(HttpRequest.BodyPublishers.ofString(Json.mapper().writeValueAsString(
                        Map.of("email", email, "password", password))))
                .header("Content-Type", "application/json");
        return ok(server.send(request), 200).get("access_token").asText();
    }

    private String adminSession() throws Exception {
        return login("admin@localhost", server.adminPassword());
    }

    private String adminTeam() throws Exception {
        return ok(server.authed(QUOTA), 200).get("team_id").asText();
    }

    /** A user who can log in, a member of {@code teamId} with {@code role} and no system admin. */
    private String member(String email, String teamId, Role role) {
        var hasher = new PasswordHasher(1024, 1, 1, new SecureRandom());
        Instant now = Instant.now();
        var user = new UserAccount(UUID.randomUUID().toString(), email, email, null, true, false, hasher.hash(PASSWORD),
                now, now);
        server.jdbi().useTransaction(h -> {
            new UserStore(server.jdbi()).insert(h, user);
            new TeamStore(server.jdbi()).addMember(h, UUID.randomUUID().toString(), teamId, user.id(), role, now);
        });
        return user.id();
    }

    /** A team the first admin is not a member of, with a key of its own; returns {team id, key id, key}. */
    private String[] otherTeamWithKey() {
        Instant now = Instant.now();
        String owner = server.createUser("owner@example.com");
        var team = new TeamRecord(UUID.randomUUID().toString(), "Other", "other", owner, "local", now, now);
        String token = ApiKeyToken.generate("local", new SecureRandom());
        var key = new ApiKey(UUID.randomUUID().toString(), ApiKeyToken.displayPrefix(token), "theirs", team.id(), owner,
                owner, ApiKeyScope.TEAM, List.of(Role.VIEWER), true, now.plus(Duration.ofDays(1)), null, 0, now, now);
        server.jdbi().useTransaction(h -> {
            new TeamStore(server.jdbi()).insert(h, team);
            new ApiKeyStore(server.jdbi()).insert(h, key, ApiKeyToken.digest(token));
        });
        return new String[] {team.id(), key.id(), token};
    }

    private JsonNode create(String session, Object body) throws Exception {
        return ok(call("POST", "/api-keys", session, body), 201);
    }

    private List<JsonNode> listed(String session, String... headers) throws Exception {
        JsonNode data = ok(call("GET", "/api-keys", session, null, headers), 200);
        return StreamSupport.stream(data.get("api_keys").spliterator(), false).toList();
    }

    private static JsonNode byId(List<JsonNode> keys, String id) {
        return keys.stream().filter(k -> k.get("id").asText().equals(id)).findFirst().orElse(null);
    }

    /** Calls until {@code done} holds, for at most {@code limit}; the last answer either way. */
    private static <T> T poll(Duration limit, Callable<T> call, Predicate<T> done) throws Exception {
        Instant deadline = Instant.now().plus(limit);
        T last = call.call();
        while (!done.test(last) && Instant.now().isBefore(deadline)) {
            Thread.sleep(50);
            last = call.call();
        }
        return last;
    }

    private HttpResponse<String> until401(String key) throws Exception {
        return poll(Duration.ofSeconds(2), () -> call("GET", QUOTA, key, null), r -> r.statusCode() == 401);
    }

    // ---- tests ---------------------------------------------------------------------------------------

    @Test
    void anAdminCreatesADeveloperKeyThatWorksWithDeveloperPermissions() throws Exception {
        start();
        String session = adminSession();
        JsonNode created = create(session, Map.of("name", "ci", "roles", List.of("developer"), "expires_in", "30d"));

        String key = created.get("key").asText();
        assertThat(key).startsWith("s0_").matches("s0_local_[0-9a-f]{48}");
        assertThat(created.get("name").asText()).isEqualTo("ci");
        assertThat(created.get("scope").asText()).isEqualTo("team");
        assertThat(created.get("roles")).hasSize(1);
        assertThat(created.get("roles").get(0).asText()).isEqualTo("developer");
        assertThat(created.get("team_id").asText()).isEqualTo(adminTeam());
        Instant createdAt = Instant.parse(created.get("created_at").asText());
        assertThat(Duration.between(createdAt, Instant.parse(created.get("expires_at").asText())))
                .isEqualTo(Duration.ofDays(30));

        assertThat(ok(call("GET", QUOTA, key, null), 200).get("team_id").asText()).isEqualTo(adminTeam());
        JsonNode current = ok(call("GET", "/api-keys/current", key, null), 200).get("api_key");
        assertThat(current.get("id").asText()).isEqualTo(created.get("id").asText());
        assertThat(current.get("roles").toString()).isEqualTo("[\"developer\"]");
        List<String> permissions = StreamSupport.stream(current.get("permissions").spliterator(), false)
                .map(JsonNode::asText).toList();
        assertThat(permissions).containsExactlyInAnyOrderElementsOf(
                Role.DEVELOPER.permissions().stream().map(Permission::wire).toList());
        assertThat(permissions).doesNotContain("apikey:manage");
    }

    @Test
    void defaultsAreUpstreams() throws Exception {
        start();
        String session = adminSession();
        JsonNode created = create(session, Map.of("name", "  defaults  "));
        assertThat(created.get("name").asText()).isEqualTo("defaults");
        assertThat(created.get("scope").asText()).isEqualTo("team");
        assertThat(created.get("roles").toString()).isEqualTo("[\"developer\"]");
        assertThat(Duration.between(Instant.parse(created.get("created_at").asText()),
                Instant.parse(created.get("expires_at").asText()))).isEqualTo(Duration.ofDays(90));

        JsonNode deduplicated = create(session, Map.of("name", "d", "roles", List.of("viewer", "builder", "viewer")));
        assertThat(deduplicated.get("roles").toString()).isEqualTo("[\"viewer\",\"builder\"]");
        // Upstream treats an empty list as no list: the default role.
        assertThat(create(session, Map.of("name", "e", "roles", List.of())).get("roles").toString())
                .isEqualTo("[\"developer\"]");
        JsonNode never = create(session, Map.of("name", "n", "expires_in", "never"));
        assertThat(Instant.parse(never.get("expires_at").asText())).isAfter(Instant.now().plus(Duration.ofDays(99 * 365)));
    }

    @Test
    void badRequestsAre400sNamingTheProblem() throws Exception {
        start();
        String session = adminSession();
        assertError(call("POST", "/api-keys", session, Map.of("name", "k", "expires_in", "7d")), 400, "bad_request",
                "unsupported expires_in");
        assertError(call("POST", "/api-keys", session, Map.of("name", "k", "roles", List.of("owner"))), 400,
                "bad_request", "unsupported role");
        assertError(call("POST", "/api-keys", session, Map.of("name", "k", "roles", List.of(" "))), 400,
                "bad_request", "role cannot be empty");
        assertError(call("POST", "/api-keys", session, Map.of("roles", List.of("viewer"))), 400, "bad_request",
                "name is required");
        assertError(call("POST", "/api-keys", session, Map.of("name", "x".repeat(256))), 400, "bad_request",
                "name must be at most 255 characters");
        assertError(call("POST", "/api-keys", session, Map.of("name", "k", "scope", "global")), 400, "bad_request",
                "scope must be team or platform");
        assertError(call("POST", "/api-keys", session, Map.of("name", "k", "scope", "platform", "roles",
                List.of("viewer"))), 400, "bad_request", "platform API keys do not support roles");
        assertError(call("POST", "/api-keys", session, null), 400, "bad_request", "request body is required");
        assertError(call("POST", "/api-keys", session, "{\"name\":5}"), 400, "bad_request", "name");
        assertError(call("POST", "/api-keys", session, "{\"name\":\"k\",\"roles\":\"admin\"}"), 400, "bad_request",
                "roles");

        assertError(call("DELETE", "/api-keys/not-a-uuid", session, null), 400, "bad_request", "invalid API key id");
        assertError(call("POST", "/api-keys/current/deactivate", session, null), 400, "bad_request",
                "invalid API key id");
        String unknown = UUID.randomUUID().toString();
        assertError(call("DELETE", "/api-keys/" + unknown, session, null), 404, "not_found", "API key not found");
        assertError(call("POST", "/api-keys/" + unknown + "/deactivate", session, null), 404, "not_found",
                "API key not found");
    }

    @Test
    void apiKeysCannotManageKeysEvenAnAdminKey() throws Exception {
        start();
        String adminKey = server.adminKey();
        String someId = UUID.randomUUID().toString();
        for (var refused : List.of(
                call("GET", "/api-keys", adminKey, null),
                call("POST", "/api-keys", adminKey, Map.of("name", "k")),
                call("DELETE", "/api-keys/" + someId, adminKey, null),
                call("POST", "/api-keys/" + someId + "/deactivate", adminKey, null))) {
            assertError(refused, 403, "forbidden", "needs a user session");
        }
        // Introspection stays for API keys only.
        assertThat(ok(call("GET", "/api-keys/current", adminKey, null), 200).get("api_key").get("roles").toString())
                .isEqualTo("[\"admin\"]");
        assertError(call("GET", "/api-keys/current", adminSession(), null), 401, "unauthorized",
                "api key authentication required");
    }

    @Test
    void membersWithoutApiKeyManagementAreRefused() throws Exception {
        start();
        member("dev@example.com", adminTeam(), Role.DEVELOPER);
        String developer = login("dev@example.com", PASSWORD);

        assertError(call("POST", "/api-keys", developer, Map.of("name", "k", "roles", List.of("admin"))), 403,
                "forbidden", "insufficient permissions");
        assertError(call("POST", "/api-keys", developer, Map.of("name", "k", "roles", List.of("viewer"))), 403,
                "forbidden", "insufficient permissions");
        assertError(call("GET", "/api-keys", developer, null), 403, "forbidden", "insufficient permissions");
        String adminKeyId = listed(adminSession()).getFirst().get("id").asText();
        assertError(call("DELETE", "/api-keys/" + adminKeyId, developer, null), 403, "forbidden",
                "insufficient permissions");
    }

    @Test
    void listingsMaskKeysAndNeverShowTheSecret() throws Exception {
        start();
        String session = adminSession();
        JsonNode first = create(session, Map.of("name", "first", "roles", List.of("viewer")));
        JsonNode second = create(session, Map.of("name", "second"));
        String firstKey = first.get("key").asText();

        HttpResponse<String> raw = call("GET", "/api-keys", session, null);
        assertThat(raw.statusCode()).isEqualTo(200);
        assertThat(raw.body()).doesNotContain(firstKey).doesNotContain(second.get("key").asText())
                .doesNotContain(server.adminKey()).doesNotContain("\"key\"");
        List<JsonNode> keys = listed(session);
        assertThat(keys).hasSize(3);
        assertThat(keys.get(0).get("id").asText()).as("newest first").isEqualTo(second.get("id").asText());
        JsonNode listed = byId(keys, first.get("id").asText());
        assertThat(listed.get("key_value").asText()).isEqualTo(firstKey.substring(0, 12) + "***").endsWith("***");
        assertThat(listed.get("name").asText()).isEqualTo("first");
        assertThat(listed.get("scope").asText()).isEqualTo("team");
        assertThat(listed.get("roles").toString()).isEqualTo("[\"viewer\"]");
        assertThat(listed.get("team_id").asText()).isEqualTo(adminTeam());
        assertThat(listed.get("is_active").asBoolean()).isTrue();
        assertThat(listed.get("usage_count").asLong()).isZero();
        assertThat(listed.has("last_used_at")).as("omitted until first use, as upstream").isFalse();
        assertThat(listed.get("expires_at").asText()).isEqualTo(first.get("expires_at").asText());
        assertThat(listed.get("created_at").asText()).isEqualTo(first.get("created_at").asText());
    }

    @Test
    void deactivatedDeletedAndExpiredKeysStopWorkingWithinASecond() throws Exception {
        start();
        String session = adminSession();
        JsonNode deactivated = create(session, Map.of("name", "to-deactivate"));
        JsonNode deleted = create(session, Map.of("name", "to-delete"));
        JsonNode expired = create(session, Map.of("name", "to-expire"));
        for (JsonNode key : List.of(deactivated, deleted, expired)) {
            // Used once, so the server remembers each key when it changes.
            ok(call("GET", QUOTA, key.get("key").asText(), null), 200);
        }

        JsonNode message = ok(call("POST", "/api-keys/" + deactivated.get("id").asText() + "/deactivate", session, null), 200);
        assertThat(message.get("message").asText()).isEqualTo("API key deactivated");
        assertError(until401(deactivated.get("key").asText()), 401, "unauthorized", "api key is deactivated");
        assertThat(byId(listed(session), deactivated.get("id").asText()).get("is_active").asBoolean()).isFalse();

        message = ok(call("DELETE", "/api-keys/" + deleted.get("id").asText(), session, null), 200);
        assertThat(message.get("message").asText()).isEqualTo("API key deleted");
        assertError(until401(deleted.get("key").asText()), 401, "unauthorized", "invalid api key");
        assertThat(byId(listed(session), deleted.get("id").asText())).isNull();
        assertError(call("DELETE", "/api-keys/" + deleted.get("id").asText(), session, null), 404, "not_found",
                "API key not found");

        // Expiry is an operator's change here (no API shortens a key's life), seen within the lookup window.
        server.execute("UPDATE api_keys SET expires_at = " + (System.currentTimeMillis() - 1000) + " WHERE id = '"
                + expired.get("id").asText() + "'");
        assertError(until401(expired.get("key").asText()), 401, "unauthorized", "api key has expired");
    }

    @Test
    void aKeyOfAnotherTeamIsForbidden() throws Exception {
        start();
        String session = adminSession();
        String[] other = otherTeamWithKey();
        assertError(call("DELETE", "/api-keys/" + other[1], session, null), 403, "forbidden",
                "not authorized to delete this API key");
        assertError(call("POST", "/api-keys/" + other[1] + "/deactivate", session, null), 403, "forbidden",
                "not authorized to deactivate this API key");
        assertThat(byId(listed(session), other[1])).isNull();
        assertThat(ok(call("GET", "/api-keys/current", other[2], null), 200).get("api_key").get("is_active")
                .asBoolean()).isTrue();
    }

    @Test
    void onlyASystemAdminSessionCreatesPlatformKeysWhichActInAnyTeam() throws Exception {
        start();
        String team = adminTeam();
        member("lead@example.com", team, Role.ADMIN);
        String teamAdmin = login("lead@example.com", PASSWORD);
        assertError(call("POST", "/api-keys", teamAdmin, Map.of("name", "p", "scope", "platform")), 403, "forbidden",
                "platform API keys require system admin user access");
        // A team admin may still hand out any team role.
        JsonNode granted = create(teamAdmin, Map.of("name", "their-admin", "roles", List.of("admin", "viewer")));
        assertThat(granted.get("roles").toString()).isEqualTo("[\"admin\",\"viewer\"]");

        String systemAdmin = adminSession();
        JsonNode platform = create(systemAdmin, Map.of("name", "platform", "scope", "platform"));
        assertThat(platform.get("scope").asText()).isEqualTo("platform");
        assertThat(platform.get("roles").toString()).isEqualTo("[]");
        assertThat(platform.get("team_id").asText()).isEqualTo(team);
        String platformKey = platform.get("key").asText();

        String otherTeam = otherTeamWithKey()[0];
        JsonNode quota = ok(call("GET", QUOTA, platformKey, null, "X-Team-ID", otherTeam), 200);
        assertThat(quota.get("team_id").asText()).isEqualTo(otherTeam);
        ok(call("PUT", "/api/v1/quotas/memory_mib", platformKey, Map.of("limit_value", 1024), "X-Team-ID", otherTeam), 200);
        assertThat(ok(call("GET", QUOTA, platformKey, null), 200).get("team_id").asText()).isEqualTo(team);

        String platformId = platform.get("id").asText();
        assertThat(byId(listed(systemAdmin), platformId)).isNotNull();
        assertThat(byId(listed(teamAdmin), platformId)).as("hidden from team admins").isNull();
        assertError(call("POST", "/api-keys/" + platformId + "/deactivate", teamAdmin, null), 403, "forbidden",
                "not authorized to deactivate this API key");
        ok(call("DELETE", "/api-keys/" + platformId, systemAdmin, null), 200);
    }

    @Test
    void usageIsCountedAndWrittenInBatches() throws Exception {
        start();
        String session = adminSession();
        JsonNode created = create(session, Map.of("name", "busy"));
        String key = created.get("key").asText();
        for (int i = 0; i < 3; i++) {
            ok(call("GET", QUOTA, key, null), 200);
        }
        ok(call("GET", "/api-keys/current", key, null), 200);

        String id = created.get("id").asText();
        JsonNode listed = poll(Duration.ofSeconds(10), () -> byId(listed(session), id),
                k -> k.get("usage_count").asLong() >= 4);
        assertThat(listed.get("usage_count").asLong()).isEqualTo(4);
        Instant lastUsed = Instant.parse(listed.get("last_used_at").asText());
        assertThat(lastUsed).isAfterOrEqualTo(Instant.parse(created.get("created_at").asText()));
    }
}
