package ai.sandbox0.server.fuzz;

import static ai.sandbox0.server.fuzz.Junk.quoted;

import ai.sandbox0.server.fuzz.Probes.Caller;
import ai.sandbox0.server.fuzz.Probes.Probe;
import ai.sandbox0.server.fuzz.Probes.Target;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Malformed input at the login, registration, session and profile endpoints: wrong types, broken JSON and
 * UTF-8, nesting and sizes past the limits, junk headers. Whatever comes in, the answer is a 4xx in the
 * error envelope (or a success), within the timeout, and the server stays up.
 */
class AuthInputPropertiesTest {

    private static Probes probes;

    @BeforeAll
    static void start() throws Exception {
        probes = Probes.start("auth-props").withFreshSessions(Probes.TRIES + 20);
    }

    @AfterAll
    static void stop() {
        probes.close();
    }

    @Test
    void authEndpointsAnswerMalformedBodiesWithA4xx() {
        // The user's real password stays out: a change of it would end the sessions the other probes use.
        List<String> emails = List.of("admin@localhost", probes.userEmail, "new@example.com", "NEW@example.com ");
        List<String> tokens = List.of(probes.adminSession, probes.userSession, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
                "a.b.c", "http://localhost/", "/", "http://localhost:1/x?y#z");
        int before = probes.begin();
        var targets = new LinkedHashMap<Target, Map<String, Gen<String>>>();
        targets.put(new Target("POST", "/auth/login", Caller.NONE, true), shape(
                "email", quoted(emails), "password", quoted(List.of(probes.userPassword, "password1"))));
        targets.put(new Target("POST", "/auth/register", Caller.NONE, true), shape(
                "email", quoted(emails), "password", quoted(List.of("long-enough-password")),
                "name", quoted(emails), "home_region_id", quoted(List.of("local", "LOCAL", "other"))));
        targets.put(new Target("POST", "/auth/refresh", Caller.NONE, true), shape("refresh_token", quoted(tokens)));
        targets.put(new Target("POST", "/auth/change-password", Caller.USER_SESSION, true), shape(
                "old_password", quoted(List.of("wrong-password")), "new_password", quoted(List.of("another-password"))));
        targets.put(new Target("POST", "/auth/logout", Caller.FRESH_SESSION, false), shape());
        targets.put(new Target("POST", "/auth/web-login/exchange", Caller.NONE, true), shape(
                "login_code", quoted(tokens), "return_url", quoted(tokens)));
        Gen<Probe> probe = oneOf(targets);
        Probes.qt().forAll(withContentTypes(probe)).checkAssert(probes::check);
        probes.report("auth endpoints", before);
    }

    @Test
    void profileEndpointsAnswerMalformedBodiesWithA4xx() {
        List<String> names = List.of("Fuzz", " ", "https://example.com/a.png", "http://[::1]/");
        int before = probes.begin();
        var targets = new LinkedHashMap<Target, Map<String, Gen<String>>>();
        targets.put(new Target("PUT", "/users/me", Caller.USER_SESSION, true), shape(
                "name", quoted(names), "avatar_url", quoted(names)));
        targets.put(new Target("POST", "/users/me/ssh-keys", Caller.USER_SESSION, true), shape(
                "name", quoted(names), "public_key", Generate.oneOf(quoted(names), Junk.sshKeyLines().map(line -> Junk.quote(line)))));
        Gen<Probe> probe = oneOf(targets);
        Probes.qt().forAll(withContentTypes(probe)).checkAssert(probes::check);
        probes.report("profile endpoints", before);
    }

    /** Key lines framed like real ones, so that the key decoder (not the JSON reader) sees the junk. */
    @Test
    void sshKeyDecodingAnswersCorruptKeysWithA4xx() {
        int before = probes.begin();
        var target = new Target("POST", "/users/me/ssh-keys", Caller.USER_SESSION, true);
        Gen<Probe> probe = Junk.sshKeyLines().map(line -> Probe.of(target, List.of(),
                Junk.body("key line", "{\"name\":\"fuzz\",\"public_key\":" + Junk.quote(line) + "}")));
        Probes.qt().forAll(probe).checkAssert(probes::check);
        probes.report("SSH key decoding", before);
    }

    /** Each target with bodies of its shape, its path parameters none. */
    static Gen<Probe> oneOf(Map<Target, Map<String, Gen<String>>> targets) {
        List<Target> order = List.copyOf(targets.keySet());
        List<String> known = List.of(probes.adminTeam, probes.userId);
        return Generate.pick(order).flatMap(target -> Junk.bodies(targets.get(target), known, Probes.BODY_LIMIT)
                .map(body -> Probe.of(target, List.of(), body)));
    }

    /** Mostly the right Content-Type, sometimes another or none, sometimes chunked. */
    static Gen<Probe> withContentTypes(Gen<Probe> probes) {
        return probes.zip(Junk.contentTypes(), Generate.pick(List.of(false, false, false, false, false, true)),
                (probe, type, chunked) -> probe.with(type, null, null, chunked));
    }

    /** A body shape: field names, each with a generator of a well-typed JSON value. */
    static Map<String, Gen<String>> shape(Object... namesAndValues) {
        var shape = new LinkedHashMap<String, Gen<String>>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            @SuppressWarnings("unchecked")
            Gen<String> value = (Gen<String>) namesAndValues[i + 1];
            shape.put((String) namesAndValues[i], value);
        }
        return shape;
    }
}
