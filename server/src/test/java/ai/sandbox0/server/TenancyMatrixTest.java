package ai.sandbox0.server;

import static ai.sandbox0.server.ApiReplies.ok;
import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.Json;
import ai.sandbox0.server.auth.Permission;
import ai.sandbox0.server.auth.Role;
import ai.sandbox0.server.http.Route;
import ai.sandbox0.server.tenancy.ApiKeyScope;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every route the server serves, called by every kind of caller: another team, each role, an expired and a
 * deactivated key, a platform key, a session with and without X-Team-ID. Each gets what upstream answers,
 * and no answer to a caller outside team A carries one of team A's ids. A route added without an entry
 * here fails the test, so none is forgotten.
 */
class TenancyMatrixTest {

    /** Who calls: a name for failures, its headers, its team-A permissions (null: outside team A). */
    private record Caller(String name, String[] headers, Set<Permission> permissions, boolean rejected) {

        boolean outsider() {
            return permissions == null;
        }
    }

    private static Path dataDir;
    private static TestServer server;
    private static String teamA;
    private static String sandboxA;
    private static String snapshotA;
    private static String volumeA;
    private static String volumeSnapshotA;
    private static String adminUserA;
    private static String carol;
    private static String developerKeyId;
    private static List<Caller> callers;
    private static List<String> secretsOfA;
    private static final String CREDENTIAL_A = "matrix-secret-7e1f0c";

    @BeforeAll
    static void start() throws Exception {
        dataDir = Files.createTempDirectory("s0-tenancy-matrix");
        server = TestServer.withSandboxes(dataDir);
        String admin = server.adminKey();
        adminUserA = server.adminUserId();
        teamA = ok(server.authed("/api/v1/quotas/active_sandboxes"), 200).get("team_id").asText();

        // Team A's resources: a paused sandbox with a rootfs snapshot, and a template of its own.
        sandboxA = ok(server.json("POST", "/api/v1/sandboxes", "{\"template\":\"default\"}"), 201).get("sandbox_id").asText();
        ok(server.json("POST", "/api/v1/sandboxes/" + sandboxA + "/pause", null), 200);
        awaitPaused(sandboxA);
        snapshotA = ok(server.json("POST", "/api/v1/sandboxes/" + sandboxA + "/snapshots", "{\"name\":\"matrix\"}"), 201)
                .get("id").asText();
        ok(server.json("POST", "/api/v1/templates", "{\"template_id\":\"matrix-a\",\"spec\":{\"mainContainer\":{"
                + "\"image\":\"default\",\"resources\":{\"cpu\":\"1\",\"memory\":\"4Gi\"}}}}"), 201);

        // A credential source, whose value no answer may carry.
        ok(server.json("POST", "/api/v1/credential-sources", "{\"name\":\"matrix-cred\",\"resolverKind\":"
                + "\"static_headers\",\"spec\":{\"staticHeaders\":{\"values\":{\"token\":\"" + CREDENTIAL_A + "\"}}}}"), 201);

        // A volume with a file and a snapshot.
        volumeA = ok(server.json("POST", "/api/v1/sandboxvolumes", "{}"), 201).get("id").asText();
        ok(server.send(HttpRequest.newBuilder(server.uri("/api/v1/sandboxvolumes/" + volumeA + "/files?path=/tmp"))
                .POST(HttpRequest.BodyPublishers.ofString("team A's file")), "Authorization", "Bearer " + admin), 200);
        volumeSnapshotA = ok(server.json("POST", "/api/v1/sandboxvolumes/" + volumeA + "/snapshots",
                "{\"name\":\"matrix\"}"), 201).get("id").asText();

        // Team B: Bob's own team, with his session and an admin key of it.
        String bob = server.createUser("bob@example.com", "bob-password");
        String bobFirst = server.login("bob@example.com", "bob-password");
        String teamB = ok(server.send(HttpRequest.newBuilder(server.uri("/teams"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"B\"}")).header("Content-Type", "application/json"),
                "Authorization", "Bearer " + bobFirst), 201).get("id").asText();
        String bobSession = server.login("bob@example.com", "bob-password");
        String teamBKey = server.mintKey(teamB, bob, bob, ApiKeyScope.TEAM, List.of(Role.ADMIN), true,
                Instant.now().plusSeconds(3600));

        // Carol: a developer in A and a viewer in B, so a session of hers selects nothing without X-Team-ID.
        carol = server.createUser("carol@example.com", "carol-password");
        server.execute("INSERT INTO team_members (id, team_id, user_id, role, joined_at) VALUES ('m-c-a', '" + teamA
                + "', '" + carol + "', 'developer', 0)");
        server.execute("INSERT INTO team_members (id, team_id, user_id, role, joined_at) VALUES ('m-c-b', '" + teamB
                + "', '" + carol + "', 'viewer', 0)");
        String carolSession = server.login("carol@example.com", "carol-password");

        String adminSession = server.login("admin@localhost", server.adminPassword());
        Instant hour = Instant.now().plusSeconds(3600);
        String developerKey = server.keyWithRoles(Role.DEVELOPER);
        developerKeyId = new ai.sandbox0.server.tenancy.ApiKeyStore(server.jdbi())
                .findByDigest(ai.sandbox0.server.tenancy.ApiKeyToken.digest(developerKey)).orElseThrow().id();
        callers = List.of(
                caller("admin key", admin, null, Role.ADMIN),
                caller("viewer key", server.keyWithRoles(Role.VIEWER), null, Role.VIEWER),
                caller("builder key", server.keyWithRoles(Role.BUILDER), null, Role.BUILDER),
                caller("developer key", developerKey, null, Role.DEVELOPER),
                new Caller("expired key", bearer(server.mintKey(teamA, adminUserA, adminUserA, ApiKeyScope.TEAM,
                        List.of(Role.ADMIN), true, Instant.now().minusSeconds(1)), null), Set.of(), true),
                new Caller("deactivated key", bearer(server.mintKey(teamA, adminUserA, adminUserA, ApiKeyScope.TEAM,
                        List.of(Role.ADMIN), false, hour), null), Set.of(), true),
                new Caller("platform key, X-Team-ID A", bearer(server.mintKey(teamA, adminUserA, adminUserA,
                        ApiKeyScope.PLATFORM, List.of(), true, hour), teamA), EnumSet.allOf(Permission.class), false),
                caller("admin session, X-Team-ID A", adminSession, teamA, Role.ADMIN),
                caller("admin session, no X-Team-ID (one team)", adminSession, null, Role.ADMIN),
                caller("carol session, X-Team-ID A", carolSession, teamA, Role.DEVELOPER),
                new Caller("carol session, no X-Team-ID (two teams)", bearer(carolSession, null), Set.of(), false),
                new Caller("team B session", bearer(bobSession, teamB), null, false),
                new Caller("team B key", bearer(teamBKey, null), null, false));
        secretsOfA = List.of(teamA, sandboxA, snapshotA, "matrix-a", adminUserA, developerKeyId, volumeA, volumeSnapshotA,
                "matrix-cred", CREDENTIAL_A);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        new ProcessBuilder("rm", "-rf", "--one-file-system", dataDir.toString()).start().waitFor();
    }

    private static Caller caller(String name, String token, String team, Role role) {
        return new Caller(name, bearer(token, team), role.permissions(), false);
    }

    private static String[] bearer(String token, String team) {
        return team == null ? new String[] {"Authorization", "Bearer " + token}
                : new String[] {"Authorization", "Bearer " + token, "X-Team-ID", team};
    }

    private static void awaitPaused(String id) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!ok(server.authed("/api/v1/sandboxes/" + id), 200).get("status").asText().equals("paused")) {
            assertThat(System.nanoTime()).as("paused within 60 s").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /** How a route is called: a real path of team A's, and whether calling it may change or wake anything. */
    private record Target(String path, boolean safe) {
    }

    /**
     * The concrete call for each route template. Unsafe calls by callers allowed to make them go to an id
     * that does not exist (or a body that is refused), so the matrix never changes team A's resources.
     */
    private static Target target(Route route) {
        String t = route.template();
        String path = t.replace("/api/v1/sandboxes/{id}", "/api/v1/sandboxes/" + sandboxA)
                .replace("/api/v1/sandbox-rootfs-snapshots/{sid}", "/api/v1/sandbox-rootfs-snapshots/" + snapshotA)
                .replace("/api/v1/templates/{id}", "/api/v1/templates/matrix-a")
                .replace("/api/v1/credential-sources/{name}", "/api/v1/credential-sources/matrix-cred")
                .replace("/api/v1/sandboxvolumes/{id}", "/api/v1/sandboxvolumes/" + volumeA)
                .replace("/snapshots/{sid}", "/snapshots/" + volumeSnapshotA)
                .replace("{dimension}", "active_sandboxes")
                .replace("/teams/{id}", "/teams/" + teamA)
                // Another member than the caller: nobody removes themselves mid-matrix.
                .replace("{userId}", adminUserA)
                .replace("{ctx}", "ctx-none")
                .replace("/api-keys/{id}", "/api-keys/" + developerKeyId)
                .replace("/regions/{id}", "/regions/local")
                .replace("{id}", "00000000-0000-4000-8000-000000000000");
        if (t.endsWith("/files") || t.endsWith("/files/stat") || t.endsWith("/files/list") || t.endsWith("/files/watch")
                || t.endsWith("/files/archive")) {
            path += "?path=/tmp";
        }
        // Reads that touch only the store; everything else may wake a paused sandbox or change something.
        boolean safe = route.method().equals("GET") && !t.contains("/files") && !t.contains("/contexts")
                && !t.endsWith("/ws");
        return new Target(path, safe);
    }

    private static String nonexistent(String path) {
        return path.replace(sandboxA, "sb-nonexistent").replace(snapshotA, "rootfs-snapshot-nonexist")
                .replace("matrix-a", "matrix-none").replace("matrix-cred", "matrix-cred-none").replace(developerKeyId, "00000000-0000-4000-8000-0000000000aa")
                .replace(volumeA, "00000000-0000-4000-8000-0000000000bb")
                .replace(volumeSnapshotA, "00000000-0000-4000-8000-0000000000dd")
                .replace("/members/" + adminUserA, "/members/00000000-0000-4000-8000-0000000000cc");
    }

    private static HttpResponse<String> call(String method, String path, Caller caller) throws Exception {
        var publisher = method.equals("GET") || method.equals("DELETE") ? HttpRequest.BodyPublishers.noBody()
                // An access mode no volume takes: a create of a volume is refused too.
                : HttpRequest.BodyPublishers.ofString("{\"matrix\": \"not a valid body\", \"access_mode\": \"matrix\"}");
        return server.send(HttpRequest.newBuilder(server.uri(path)).method(method, publisher)
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30)), caller.headers());
    }

    @Test
    void everyRouteAnswersEveryCallerAsUpstreamAndLeaksNothing() throws Exception {
        List<String> failures = new ArrayList<>();
        for (Route route : server.server().routes()) {
            if (route.open()) {
                continue;
            }
            Target target = target(route);
            for (Caller caller : callers) {
                if (route.template().equals("/auth/logout") && !isApiKey(caller)) {
                    continue; // it would end the sessions the rest of the matrix calls with (AuthApiTest covers it)
                }
                Expected expected = expected(route, caller);
                String path = expected.onNonexistent() ? nonexistent(target.path()) : target.path();
                HttpResponse<String> response = call(route.method(), path, caller);
                int status = response.statusCode();
                String what = route.method() + " " + route.template() + " as " + caller.name() + " → " + status + " "
                        + abbreviate(response.body());
                if (!expected.accepts(status)) {
                    failures.add(what + " (expected " + expected.description() + ")");
                }
                if (status >= 500) {
                    failures.add(what + " (a 5xx)");
                }
                if (response.body().contains(CREDENTIAL_A)) {
                    failures.add(what + " (carries a credential source's secret value)");
                }
                if (caller.outsider() || caller.rejected()) {
                    for (String secret : secretsOfA) {
                        // An id the caller sent may come back in the error that names it; anything else is a leak.
                        if (response.body().contains(secret) && !path.contains(secret)) {
                            failures.add(what + " (carries team A's " + secret + ")");
                        }
                    }
                }
            }
        }
        assertThat(failures).as("tenancy matrix").isEmpty();
    }

    @Test
    void listsShowAnotherTeamNoneOfTeamAsResources() throws Exception {
        Caller outsider = callers.stream().filter(c -> c.name().equals("team B key")).findFirst().orElseThrow();
        for (String path : List.of("/api/v1/sandboxes", "/api/v1/templates", "/teams", "/api/v1/sandboxes/" + sandboxA
                + "/snapshots", "/api/v1/sandboxvolumes", "/api/v1/credential-sources")) {
            String body = call("GET", path, outsider).body();
            for (String secret : secretsOfA) {
                assertThat(body).as(path).doesNotContain(secret);
            }
        }
        JsonNode templates = Json.mapper().readTree(call("GET", "/api/v1/templates", outsider).body()).get("data");
        assertThat(templates.toString()).contains("\"default\"");
    }

    /** What a caller must get from a route. */
    private record Expected(Set<Integer> statuses, boolean onNonexistent, String description) {

        boolean accepts(int status) {
            return statuses.isEmpty() ? status < 500 && status != 401 && status != 403 : statuses.contains(status);
        }
    }

    private static Expected exactly(String why, Integer... statuses) {
        return new Expected(Set.of(statuses), false, why + " " + List.of(statuses));
    }

    private static Expected expected(Route route, Caller caller) {
        if (caller.rejected()) {
            return exactly("a key that no longer works:", 401);
        }
        String t = route.template();
        return switch (route.access()) {
            case Route.Access.Open open -> exactly("open", 200);
            case Route.Access.Authenticated any -> anyAuthorized(route, caller);
            case Route.Access.User user -> userRoute(route, caller);
            case Route.Access.UserSession session -> isApiKey(caller)
                    ? exactly("API keys cannot use a session route:", 403) : userRoute(route, caller);
            case Route.Access.Requires requires -> teamRoute(route, requires.permission(), caller);
            case Route.Access.UserSessionRequires requires -> isApiKey(caller)
                    ? exactly("API keys cannot use a session route:", 403)
                    : teamRoute(route, requires.permission(), caller);
        };
    }

    private static boolean isApiKey(Caller caller) {
        return caller.headers()[1].startsWith("Bearer s0_");
    }

    private static Expected anyAuthorized(Route route, Caller caller) {
        if (route.template().equals("/api-keys/current") && !isApiKey(caller)) {
            return exactly("introspection is for API keys:", 401);
        }
        return new Expected(Set.of(), !route.method().equals("GET"), "authorized (not 401/403, not 5xx)");
    }

    private static Expected userRoute(Route route, Caller caller) {
        String t = route.template();
        if (t.equals("/teams/{id}/owner") && (caller.outsider() || !caller.permissions().contains(Permission.APIKEY_MANAGE))) {
            // Upstream reads the body before it looks at the team: the refused body answers first.
            return exactly("not the owner, after the body:", 400, 403);
        }
        if (t.startsWith("/teams/{id}") && caller.outsider()) {
            return exactly("not a member of team A:", 403);
        }
        if (t.startsWith("/teams/{id}") && route.method().equals("GET")) {
            return exactly("a member of team A:", 200);
        }
        if (t.startsWith("/teams/{id}") && !caller.permissions().contains(Permission.APIKEY_MANAGE)) {
            return exactly("a member of team A who is not its admin:", 403);
        }
        return anyAuthorized(route, caller);
    }

    private static Expected teamRoute(Route route, Permission permission, Caller caller) {
        String t = route.template();
        boolean collection = t.equals("/api/v1/sandboxes") || t.equals("/api/v1/templates")
                || t.equals("/api/v1/sandboxvolumes") || t.equals("/api/v1/credential-sources")
                || t.startsWith("/api/v1/quotas/") || t.equals("/api-keys");
        if (caller.outsider()) {
            if (collection) {
                // Acting in their own team: allowed or refused by their own roles, never team A's data.
                return new Expected(Set.of(), false, "their own team's answer");
            }
            // A body refused before the lookup tells nothing either.
            boolean body = route.method().equals("POST") || route.method().equals("PUT");
            if (t.startsWith("/api/v1/sandboxes/{id}")) {
                return body ? exactly("another team's sandbox:", 400, 403) : exactly("another team's sandbox:", 403);
            }
            if (t.startsWith("/api-keys/{id}")) {
                return exactly("another team's key:", 403);
            }
            if (t.equals("/api/v1/credential-sources/{name}") && route.method().equals("DELETE")) {
                // Idempotent, as upstream: in the caller's team the name is unknown, so it is already deleted.
                return exactly("another team's source, deleted in theirs (none):", 200);
            }
            return body ? exactly("another team's resource is hidden:", 400, 404)
                    : exactly("another team's resource is hidden:", 404);
        }
        if (!caller.permissions().contains(permission)) {
            return exactly("insufficient permissions:", 403);
        }
        Target target = target(route);
        if (target.safe()) {
            return exactly("team A reading its own:", 200);
        }
        return new Expected(Set.of(), true, "authorized (not 401/403, not 5xx), on an id that does not exist");
    }

    private static String abbreviate(String body) {
        return body.length() <= 160 ? body : body.substring(0, 160) + "…";
    }
}
