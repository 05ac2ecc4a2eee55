package ai.sandbox0.server.fuzz;

import static ai.sandbox0.server.fuzz.AuthInputPropertiesTest.shape;
import static ai.sandbox0.server.fuzz.Junk.quoted;

import ai.sandbox0.api.Json;
import ai.sandbox0.server.fuzz.Probes.Caller;
import ai.sandbox0.server.fuzz.Probes.Probe;
import ai.sandbox0.server.fuzz.Probes.Target;
import java.net.http.HttpRequest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Malformed input at the team, API key and quota endpoints, and junk where their path parameters and
 * headers belong. Whatever comes in, the answer is a 4xx in the error envelope (or a success), within the
 * timeout, and the server stays up.
 */
class TenancyInputPropertiesTest {

    private static final List<String> DIMENSIONS = List.of("active_sandboxes", "cpu_millicpu", "memory_mib",
            "volume_storage_gb", "snapshot_storage_gb", "egress", "ingress");
    private static final List<String> ROLES = List.of("admin", "developer", "builder", "viewer");

    private static Probes probes;
    /** A key of the admin's team made for these tests, for the routes that take a key id. */
    private static String keyId;

    @BeforeAll
    static void start() throws Exception {
        probes = Probes.start("tenancy-props");
        var created = probes.server.send(HttpRequest.newBuilder(probes.server.uri("/api-keys"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"fuzz\"}")),
                "Authorization", "Bearer " + probes.adminSession, "Content-Type", "application/json");
        keyId = Json.mapper().readTree(created.body()).get("data").get("id").asText();
    }

    @AfterAll
    static void stop() {
        probes.close();
    }

    @Test
    void teamEndpointsAnswerMalformedBodiesWithA4xx() {
        List<String> known = Stream.concat(probes.knownIds().stream(), Stream.of(probes.userEmail, "local")).toList();
        var team = segment(probes.fuzzTeam);
        var targets = new LinkedHashMap<Target, Map<String, Gen<String>>>();
        var teamShape = shape("name", quoted(known), "slug", quoted(known), "home_region_id", quoted(known));
        targets.put(new Target("POST", "/teams", Caller.ADMIN_SESSION, true), teamShape);
        targets.put(new Target("PUT", "/teams/{id}", Caller.ADMIN_SESSION, true), teamShape);
        targets.put(new Target("POST", "/teams/{id}/members", Caller.ADMIN_SESSION, true), shape(
                "email", quoted(known), "role", quoted(ROLES)));
        targets.put(new Target("PUT", "/teams/{id}/members/{userId}", Caller.ADMIN_SESSION, true), shape(
                "role", quoted(ROLES)));
        targets.put(new Target("PUT", "/teams/{id}/owner", Caller.ADMIN_SESSION, true), shape("user_id", quoted(known)));
        int before = probes.begin();
        Probes.qt().forAll(bodies(targets, List.of(team, segment(probes.userId)))).checkAssert(probes::check);
        probes.report("team endpoints", before);
    }

    @Test
    void keyAndQuotaEndpointsAnswerMalformedBodiesWithA4xx() {
        List<String> known = List.of("team", "platform", "30d", "never", "admin", "viewer");
        var targets = new LinkedHashMap<Target, Map<String, Gen<String>>>();
        targets.put(new Target("POST", "/api-keys", Caller.ADMIN_SESSION, true), shape("name", quoted(known),
                "scope", quoted(known), "roles", lists(quoted(ROLES)), "expires_in", quoted(known)));
        targets.put(new Target("POST", "/api-keys/{id}/deactivate", Caller.ADMIN_SESSION, false), shape());
        targets.put(new Target("PUT", "/api/v1/quotas/{dimension}", Caller.ADMIN_KEY, true), shape(
                "limit_value", Junk.numbers()));
        int before = probes.begin();
        // The key is deactivated by the first well-formed probe; the rest are refused after the same checks.
        Probes.qt().forAll(bodies(targets, List.of(segment(keyId)), Generate.pick(DIMENSIONS).map(d -> segment(d))))
                .checkAssert(probes::check);
        probes.report("API key and quota endpoints", before);
    }

    @Test
    void junkPathParametersAreAnswered() {
        List<String> known = new ArrayList<>(probes.knownIds());
        known.add(keyId);
        known.addAll(DIMENSIONS);
        List<Target> targets = List.of(
                new Target("GET", "/teams/{id}", Caller.ADMIN_SESSION, false),
                new Target("PUT", "/teams/{id}", Caller.ADMIN_SESSION, false),
                new Target("GET", "/teams/{id}/members", Caller.ADMIN_SESSION, false),
                new Target("POST", "/teams/{id}/members", Caller.ADMIN_SESSION, false),
                new Target("PUT", "/teams/{id}/members/{userId}", Caller.ADMIN_SESSION, false),
                new Target("DELETE", "/teams/{id}/members/{userId}", Caller.ADMIN_SESSION, false),
                new Target("PUT", "/teams/{id}/owner", Caller.ADMIN_SESSION, false),
                new Target("POST", "/api-keys/{id}/deactivate", Caller.ADMIN_SESSION, false),
                new Target("DELETE", "/users/me/ssh-keys/{id}", Caller.USER_SESSION, false),
                new Target("GET", "/api/v1/quotas/{dimension}", Caller.ADMIN_KEY, false),
                new Target("PUT", "/api/v1/quotas/{dimension}", Caller.ADMIN_KEY, false),
                new Target("DELETE", "/api/v1/quotas/{dimension}", Caller.ADMIN_KEY, false));
        Gen<Junk.Segment> segments = Junk.segments(known);
        Gen<Junk.Body> bodies = Generate.pick(List.of("{\"name\":\"fuzz\",\"role\":\"viewer\",\"limit_value\":5}",
                "{\"user_id\":\"" + probes.userId + "\",\"email\":\"" + probes.userEmail + "\"}", "{}", "", "[]"))
                .map(json -> Junk.body("small", json));
        Gen<Probe> probe = Generate.pick(targets).zip(segments, segments, bodies,
                (target, first, second, body) -> Probe.of(target,
                        target.template().contains("{userId}") ? List.of(first, second) : List.of(first), body));
        int before = probes.begin();
        Probes.qt().forAll(probe).checkAssert(probes::check);
        probes.report("path parameters", before);
    }

    @Test
    void junkHeadersAreAnswered() {
        List<String> teams = List.of(probes.adminTeam, probes.fuzzTeam, probes.userId);
        List<Target> targets = List.of(
                new Target("POST", "/teams", Caller.ADMIN_SESSION, true),
                new Target("GET", "/teams/{id}", Caller.ADMIN_SESSION, false),
                new Target("POST", "/api-keys", Caller.ADMIN_SESSION, true),
                new Target("GET", "/api-keys", Caller.ADMIN_SESSION, false),
                new Target("GET", "/api-keys/current", Caller.ADMIN_KEY, false),
                new Target("PUT", "/api/v1/quotas/{dimension}", Caller.ADMIN_KEY, true),
                new Target("PUT", "/users/me", Caller.USER_SESSION, true));
        List<String> authorizations = new ArrayList<>(List.of("", "Bearer", "Bearer ", "Bearer  x", "Basic YTpi",
                "bearer " + probes.adminKey, "Bearer s0_", "Bearer s0_local_", "Bearer " + probes.adminKey + " x",
                "Bearer " + probes.adminKey.toUpperCase(java.util.Locale.ROOT), "Bearer eyJ.eyJ.sig",
                "Bearer " + probes.adminSession + "x", "Bearer " + "x".repeat(10_000), "Bearer \u00e9\u00ff",
                "Bearer " + probes.userSession));
        Gen<String> authorization = Generate.frequency(List.of(
                org.quicktheories.api.Pair.of(3, Generate.constant((String) null)),
                org.quicktheories.api.Pair.of(1, Generate.pick(authorizations))));
        Gen<Probe> probe = Generate.pick(targets)
                .zip(Generate.pick(List.of("{\"name\":\"fuzz\",\"limit_value\":1}", "{}", "x")), Junk.contentTypes(),
                        (target, json, type) -> Probe.of(target, target.template().contains("{id}")
                                ? List.of(segment(probes.fuzzTeam)) : List.of(segment("egress")), Junk.body("small", json))
                                .with(type, null, null, false))
                .zip(Junk.teamHeaders(teams), authorization, Generate.booleans(),
                        (p, team, auth, chunked) -> p.with(p.contentType(), team, auth, chunked));
        int before = probes.begin();
        Probes.qt().forAll(probe).checkAssert(probes::check);
        probes.report("headers", before);
    }

    /** Bodies of each target's shape, sent with good path parameters ({@code params}, or a quota dimension). */
    private static Gen<Probe> bodies(Map<Target, Map<String, Gen<String>>> targets, List<Junk.Segment> params) {
        return bodies(targets, params, Generate.constant(params.getFirst()));
    }

    private static Gen<Probe> bodies(Map<Target, Map<String, Gen<String>>> targets, List<Junk.Segment> params,
            Gen<Junk.Segment> dimension) {
        List<Target> order = List.copyOf(targets.keySet());
        List<String> known = probes.knownIds();
        return Generate.pick(order).flatMap(target -> Junk.bodies(targets.get(target), known, Probes.BODY_LIMIT)
                .zip(dimension, (body, d) -> Probe.of(target, target.template().contains("{dimension}") ? List.of(d)
                        : params, body)))
                .zip(Junk.contentTypes(), Generate.pick(List.of(false, false, false, false, false, true)),
                        (probe, type, chunked) -> probe.with(type, null, null, chunked));
    }

    private static Gen<String> lists(Gen<String> items) {
        return org.quicktheories.generators.SourceDSL.lists().of(items).ofSizeBetween(0, 5)
                .map(all -> "[" + String.join(",", all) + "]");
    }

    private static Junk.Segment segment(String value) {
        return new Junk.Segment(Junk.utf8(value));
    }
}
