package ai.sandbox0.server.tenancy;

import static ai.sandbox0.server.ApiReplies.assertError;
import static ai.sandbox0.server.ApiReplies.ok;
import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.Json;
import ai.sandbox0.server.TestServer;
import ai.sandbox0.server.store.TestDatabases;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code /teams/*} over HTTP on both stores: the acceptance scenarios of teams and members, and their rules. */
@ParameterizedClass
@EnumSource(TestDatabases.Kind.class)
class TeamApiTest {

    @Parameter
    TestDatabases.Kind storeKind;

    @TempDir
    Path dataDir;

    private TestServer server;
    private String ada;
    private String bob;
    private String adaToken;
    private String bobToken;

    @BeforeEach
    void start() throws Exception {
        server = TestServer.start(dataDir, TestServer.storeOf(storeKind));
        ada = server.createUser("ada@example.com", "ada-password");
        bob = server.createUser("bob@example.com", "bob-password");
        adaToken = server.login("ada@example.com", "ada-password");
        bobToken = server.login("bob@example.com", "bob-password");
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private HttpResponse<String> call(String method, String path, Object body, String token, String... headers)
            throws Exception {
        String json = body == null ? null : body instanceof String s ? s : Json.mapper().writeValueAsString(body);
        var request = HttpRequest.newBuilder(server.uri(path))
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json");
        return server.send(request, headers);
    }

    private String createTeam(String token, String name) throws Exception {
        return ok(call("POST", "/teams", Map.of("name", name), token), 201).get("id").asText();
    }

    private String refreshed(String email, String password) throws Exception {
        return server.login(email, password);
    }

    @Test
    void aNewTeamIsUsableAfterRefreshAndAForeignTeamIs401() throws Exception {
        JsonNode team = ok(call("POST", "/teams", Map.of("name", "Ada's Lab"), adaToken), 201);
        assertThat(team.get("owner_id").asText()).isEqualTo(ada);
        assertThat(team.get("slug").asText()).isEqualTo("ada-s-lab");
        assertThat(team.get("home_region_id").asText()).isEqualTo("local");
        String teamId = team.get("id").asText();

        // Grants travel in the token: the old one does not know the new team yet.
        assertError(call("GET", "/api/v1/quotas/active_sandboxes", null, adaToken, "X-Team-ID", teamId), 401,
                "unauthorized", "not a member of selected team");
        String fresh = refreshed("ada@example.com", "ada-password");
        assertThat(ok(call("GET", "/api/v1/quotas/active_sandboxes", null, fresh, "X-Team-ID", teamId), 200)
                .get("team_id").asText()).isEqualTo(teamId);
        assertError(call("GET", "/api/v1/quotas/active_sandboxes", null, bobToken, "X-Team-ID", teamId), 401,
                "unauthorized", "not a member of selected team");

        assertThat(ok(call("GET", "/teams", null, adaToken), 200).get("teams")).extracting(t -> t.get("id").asText())
                .containsExactly(teamId);
        assertError(call("GET", "/teams/" + teamId, null, bobToken), 403, "forbidden", "not a member of this team");
        assertThat(ok(call("GET", "/teams/" + teamId, null, adaToken), 200).get("name").asText()).isEqualTo("Ada's Lab");
        assertError(call("GET", "/teams/not-a-uuid", null, adaToken), 400, "bad_request", "team id must be a valid UUID");
    }

    @Test
    void withSeveralTeamsAndNoHeaderASessionActsInNone() throws Exception {
        createTeam(adaToken, "one");
        createTeam(adaToken, "two");
        String fresh = refreshed("ada@example.com", "ada-password");
        assertError(call("GET", "/api/v1/quotas/active_sandboxes", null, fresh), 403, "forbidden", "insufficient permissions");
    }

    @Test
    void membersAndRolesFollowUpstreamsRules() throws Exception {
        String teamId = createTeam(adaToken, "Lab");
        JsonNode added = ok(call("POST", "/teams/" + teamId + "/members", Map.of("email", "BOB@example.com", "role", "viewer"),
                adaToken), 201);
        assertThat(added.get("user_id").asText()).isEqualTo(bob);
        assertThat(added.get("role").asText()).isEqualTo("viewer");
        assertThat(added.get("email").asText()).isEqualTo("bob@example.com");
        assertError(call("POST", "/teams/" + teamId + "/members", Map.of("email", "bob@example.com", "role", "viewer"),
                adaToken), 409, "conflict", "already a member");
        assertError(call("POST", "/teams/" + teamId + "/members", Map.of("email", "nobody@example.com", "role", "viewer"),
                adaToken), 404, "not_found", "user not found");
        assertError(call("POST", "/teams/" + teamId + "/members", Map.of("email", "bob@example.com", "role", "owner"),
                adaToken), 400, "bad_request", "role");

        // A viewer sees the team and its members but changes nothing.
        assertThat(ok(call("GET", "/teams/" + teamId + "/members?query=BOB", null, bobToken), 200).get("members"))
                .extracting(m -> m.get("user_id").asText()).containsExactly(bob);
        assertError(call("PUT", "/teams/" + teamId, Map.of("name", "Mine"), bobToken), 403, "forbidden",
                "only admins can update team");
        assertError(call("PUT", "/teams/" + teamId + "/members/" + ada, Map.of("role", "viewer"), bobToken), 403,
                "forbidden", "only admins can update members");
        assertError(call("DELETE", "/teams/" + teamId + "/members/" + ada, null, bobToken), 403, "forbidden",
                "only admins can remove other members");
        assertError(call("DELETE", "/teams/" + teamId, null, bobToken), 403, "forbidden", "only team owner can delete team");

        // The owner stays an admin; the last admin cannot go.
        assertError(call("PUT", "/teams/" + teamId + "/members/" + ada, Map.of("role", "developer"), adaToken), 400,
                "bad_request", "team owner must remain an admin");
        assertError(call("DELETE", "/teams/" + teamId + "/members/" + ada, null, adaToken), 400, "bad_request",
                "cannot remove team owner");
        ok(call("PUT", "/teams/" + teamId + "/members/" + bob, Map.of("role", "admin"), adaToken), 200);
        ok(call("PUT", "/teams/" + teamId + "/owner", Map.of("user_id", bob), adaToken), 200);
        assertError(call("PUT", "/teams/" + teamId + "/owner", Map.of("user_id", ada), adaToken), 403, "forbidden",
                "only team owner can transfer ownership");
        ok(call("PUT", "/teams/" + teamId + "/members/" + ada, Map.of("role", "developer"), bobToken), 200);
        assertError(call("PUT", "/teams/" + teamId + "/members/" + bob, Map.of("role", "viewer"), bobToken), 400,
                "bad_request", "team owner must remain an admin");

        // Members may leave; then they are out at once, even with a token that still names the team.
        String adaWithTeam = refreshed("ada@example.com", "ada-password");
        ok(call("GET", "/api/v1/quotas/active_sandboxes", null, adaWithTeam, "X-Team-ID", teamId), 200);
        assertThat(ok(call("DELETE", "/teams/" + teamId + "/members/" + ada, null, adaToken), 200).get("message").asText())
                .isEqualTo("member removed");
        awaitStatus(401, () -> call("GET", "/api/v1/quotas/active_sandboxes", null, adaWithTeam, "X-Team-ID", teamId));
        assertError(call("DELETE", "/teams/" + teamId + "/members/" + ada, null, bobToken), 404, "not_found",
                "member not found");
    }

    @Test
    void aDemotedMemberLosesPermissionsWithoutWaitingForTokenExpiry() throws Exception {
        String teamId = createTeam(adaToken, "Lab");
        ok(call("POST", "/teams/" + teamId + "/members", Map.of("email", "bob@example.com", "role", "admin"), adaToken), 201);
        String bobWithTeam = refreshed("bob@example.com", "bob-password");
        ok(call("PUT", "/api/v1/quotas/active_sandboxes", Map.of("limit_value", 3), bobWithTeam, "X-Team-ID", teamId), 200);
        ok(call("PUT", "/teams/" + teamId + "/members/" + bob, Map.of("role", "viewer"), adaToken), 200);
        awaitStatus(403, () -> call("PUT", "/api/v1/quotas/active_sandboxes", Map.of("limit_value", 4), bobWithTeam,
                "X-Team-ID", teamId));
    }

    @Test
    void updatesValidateSlugsAndKeepTheHomeRegion() throws Exception {
        String teamId = createTeam(adaToken, "Lab");
        createTeam(adaToken, "Other");
        JsonNode renamed = ok(call("PUT", "/teams/" + teamId, Map.of("name", "Lab 2", "slug", "lab-two"), adaToken), 200);
        assertThat(renamed.get("slug").asText()).isEqualTo("lab-two");
        assertError(call("PUT", "/teams/" + teamId, Map.of("slug", "other"), adaToken), 409, "conflict", "slug");
        assertError(call("PUT", "/teams/" + teamId, Map.of("slug", "Bad Slug"), adaToken), 400, "bad_request",
                "lowercase letters");
        assertError(call("PUT", "/teams/" + teamId, Map.of("home_region_id", "elsewhere"), adaToken), 409, "conflict",
                "home region cannot be changed");
        assertError(call("POST", "/teams", Map.of("name", "  "), adaToken), 400, "bad_request", "team name is required");
        assertError(call("POST", "/teams", Map.of("name", "x", "slug", "lab-two"), adaToken), 409, "conflict", "slug");
        assertError(call("POST", "/teams", Map.of("name", "x", "home_region_id", "mars"), adaToken), 400, "bad_request",
                "home region not found");
        assertError(call("POST", "/teams", "{\"name\":7}", adaToken), 400, "bad_request", "name");
    }

    @Test
    void aTeamThatHoldsResourcesIsNotDeleted() throws Exception {
        String teamId = createTeam(adaToken, "Lab");
        server.execute("INSERT INTO templates (scope, team_id, template_id, spec, spec_hash, created_at, updated_at)"
                + " VALUES ('team', '" + teamId + "', 'tpl', '{}', '" + "0".repeat(64) + "', 0, 0)");
        HttpResponse<String> refused = call("DELETE", "/teams/" + teamId, null, adaToken);
        assertError(refused, 409, "conflict", "team has resources");
        assertThat(Json.mapper().readTree(refused.body()).get("error").get("details").get("templates").asInt()).isEqualTo(1);
        server.execute("DELETE FROM templates WHERE team_id = '" + teamId + "'");
        assertThat(ok(call("DELETE", "/teams/" + teamId, null, adaToken), 200).get("message").asText())
                .isEqualTo("team deleted");
        assertError(call("GET", "/teams/" + teamId, null, adaToken), 403, "forbidden", "not a member");
    }

    @Test
    void concurrentAddsOfOneMemberMakeOneMembership() throws Exception {
        String teamId = createTeam(adaToken, "Lab");
        List<Callable<HttpResponse<String>>> adds = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            adds.add(() -> call("POST", "/teams/" + teamId + "/members", Map.of("email", "bob@example.com", "role", "viewer"),
                    adaToken));
        }
        List<Integer> statuses = new ArrayList<>();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (var f : pool.invokeAll(adds)) {
                statuses.add(f.get().statusCode());
                assertThat(f.get().statusCode()).as(f.get().body()).isIn(201, 409);
            }
        }
        assertThat(statuses).filteredOn(s -> s == 201).hasSize(1);
        assertThat(ok(call("GET", "/teams/" + teamId + "/members", null, adaToken), 200).get("members")).hasSize(2);
    }

    private static void awaitStatus(int status, Callable<HttpResponse<String>> request) throws Exception {
        long deadline = System.nanoTime() + 3_000_000_000L;
        HttpResponse<String> last;
        do {
            last = request.call();
            if (last.statusCode() == status) {
                return;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < deadline);
        assertThat(last.statusCode()).as(last.body()).isEqualTo(status);
    }
}
