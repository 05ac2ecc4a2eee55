package ai.sandbox0.server.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.Json;
import ai.sandbox0.server.ServerConfig;
import ai.sandbox0.server.TestServer;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.quicktheories.QuickTheory;

/**
 * One real server for a test class, the callers it knows (the admin's key and session, a second user's
 * session, a pool of sessions to log out), and the check every probe must pass: an answer within the
 * timeout, never a 5xx, the error envelope with a short message for a 4xx, and a server still healthy after.
 */
final class Probes implements AutoCloseable {

    /** Small, so that bodies past it are cheap to send; the check is the same whatever the limit. */
    static final long BODY_LIMIT = 1024 * 1024;
    static final int MAX_MESSAGE_CHARS = 2048;
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** Fixed, so that CI runs are the same run; -Ds0.props.seed=… (and .tries) explores or reproduces. */
    static final long SEED = Long.getLong("s0.props.seed", 20_261_207L);
    static final int TRIES = Integer.getInteger("s0.props.tries", 300);

    /** Internal names that an error message must not reveal (Java classes, exceptions, stack frames). */
    private static final Pattern LEAK = Pattern.compile(
            "Exception|\\tat |\\b(java|javax|jdk|sun|com\\.fasterxml|org\\.eclipse|org\\.jdbi|org\\.sqlite|org\\.apache"
                    + "|ai\\.sandbox0)\\.[a-z]");

    /** Who sends a probe. */
    enum Caller { NONE, ADMIN_KEY, ADMIN_SESSION, USER_SESSION, FRESH_SESSION }

    /**
     * An endpoint: method, path template ({@code {name}} parameters), its caller and whether it reads the
     * body before anything else can refuse the request (then a body past the limit must be a 413).
     */
    record Target(String method, String template, Caller caller, boolean readsBody) {
        @Override
        public String toString() {
            return method + " " + template;
        }
    }

    /** One request: a target with its path parameters filled in, headers and a body. */
    record Probe(Target target, List<Junk.Segment> params, Junk.Body body, String contentType, String teamHeader,
            String authorization, boolean chunked) {

        static Probe of(Target target, List<Junk.Segment> params, Junk.Body body) {
            return new Probe(target, params, body, "application/json", null, null, false);
        }

        Probe with(String contentType, String teamHeader, String authorization, boolean chunked) {
            return new Probe(target, params, body, contentType, teamHeader, authorization, chunked);
        }

        byte[] path() {
            var out = new java.io.ByteArrayOutputStream();
            var matcher = Pattern.compile("\\{[a-zA-Z]+}").matcher(target.template());
            int at = 0;
            int param = 0;
            while (matcher.find()) {
                out.writeBytes(target.template().substring(at, matcher.start()).getBytes(StandardCharsets.US_ASCII));
                out.writeBytes(params.get(param++).raw());
                at = matcher.end();
            }
            out.writeBytes(target.template().substring(at).getBytes(StandardCharsets.US_ASCII));
            return out.toByteArray();
        }

        @Override
        public String toString() {
            return target.method() + " " + Junk.preview(path(), 120) + (contentType == null ? " no content type"
                    : contentType.equals("application/json") ? "" : " content-type=" + Junk.preview(Junk.utf8(contentType), 40))
                    + (teamHeader == null ? "" : " x-team-id=" + Junk.preview(Junk.utf8(teamHeader), 40))
                    + (authorization == null ? "" : " authorization=" + Junk.preview(Junk.utf8(authorization), 40))
                    + (chunked ? " chunked" : "") + " body=" + body;
        }
    }

    final TestServer server;
    final RawHttp http;
    final String adminKey;
    final String adminSession;
    final String adminUserId;
    final String adminTeam;
    final String userEmail = "fuzz-user@example.com";
    final String userPassword = "fuzz-user-password";
    final String userId;
    final String userSession;
    /** A team of the admin's of its own, for the team routes to change as they please. */
    final String fuzzTeam;
    private final Deque<String> freshSessions = new ArrayDeque<>();
    private final Map<String, AtomicInteger> statuses = new ConcurrentHashMap<>();
    private final AtomicInteger tries = new AtomicInteger();

    private Probes(Path dataDir) throws Exception {
        server = TestServer.start(dataDir, null, config -> new ServerConfig(config.dataDir(), config.listen(),
                config.region(), BODY_LIMIT, config.maxConcurrentRequests(), config.stopGraceMillis(),
                config.sandboxes(), config.databaseUrl(), config.blobStorage(),
                new ServerConfig.Identity(ServerConfig.Identity.DEFAULT_ADMIN_EMAIL, null, true),
                config.apiKeyUsageFlush(), config.publicUrl(), config.exposure()));
        http = new RawHttp(new InetSocketAddress("127.0.0.1", server.uri("/").getPort()), TIMEOUT);
        adminKey = server.adminKey();
        adminUserId = server.adminUserId();
        // Logged in before the admin has a second team, so that the session selects the first without X-Team-ID.
        adminSession = server.login("admin@localhost", server.adminPassword());
        adminTeam = Json.mapper().readTree(server.authed("/api/v1/quotas/active_sandboxes").body())
                .get("data").get("team_id").asText();
        userId = server.createUser(userEmail, userPassword);
        userSession = server.login(userEmail, userPassword);
        var created = server.send(java.net.http.HttpRequest.newBuilder(server.uri("/teams"))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"name\":\"fuzz\"}")),
                "Authorization", "Bearer " + adminSession, "Content-Type", "application/json");
        fuzzTeam = Json.mapper().readTree(created.body()).get("data").get("id").asText();
    }

    static Probes start(String name) throws Exception {
        return new Probes(Files.createTempDirectory("s0-" + name));
    }

    /** Sessions to log out, one per probe: made now, before the probes trip the login throttle. */
    Probes withFreshSessions(int count) throws Exception {
        for (int i = 0; i < count; i++) {
            freshSessions.add(server.login(userEmail, userPassword));
        }
        return this;
    }

    /** The property runner: seeded, a moderate number of tries, shrinking on. */
    static QuickTheory qt() {
        return QuickTheory.qt().withFixedSeed(SEED).withExamples(TRIES).withShrinkCycles(200);
    }

    /** Ids the generators mix in so that requests also get past the format checks. */
    List<String> knownIds() {
        return List.of(adminTeam, fuzzTeam, userId, adminUserId);
    }

    /** Sends {@code probe} and checks the answer and the server's health after it. */
    void check(Probe probe) {
        tries.incrementAndGet();
        RawHttp.Reply reply;
        try {
            reply = http.exchange(probe.target().method(), probe.path(), headers(probe), probe.body().bytes(),
                    probe.chunked());
        } catch (IOException e) {
            throw new AssertionError("no HTTP answer: " + e, e);
        }
        statuses.computeIfAbsent(probe.target() + " " + reply.status(), k -> new AtomicInteger()).incrementAndGet();
        String text = reply.text();
        String shown = text.length() > 300 ? text.substring(0, 300) + "…" : text;
        assertThat(reply.status()).as("status of a request the server should refuse (%s)", shown).isBetween(200, 499);
        assertThat(reply.headers().get("content-type")).as("content type (%s)", shown).startsWith("application/json");
        JsonNode json;
        try {
            json = Json.mapper().readTree(reply.body());
        } catch (IOException e) {
            throw new AssertionError("reply is not JSON: " + shown, e);
        }
        if (reply.status() >= 400) {
            assertThat(json.path("success").isBoolean() && !json.get("success").asBoolean()).as(shown).isTrue();
            JsonNode error = json.path("error");
            assertThat(error.path("code").isTextual() && !error.get("code").asText().isEmpty()).as(shown).isTrue();
            assertThat(error.path("message").isTextual()).as(shown).isTrue();
            String message = error.get("message").asText();
            assertThat(message.length()).as("length of the error message %s", shown).isLessThan(MAX_MESSAGE_CHARS);
            assertThat(LEAK.matcher(message).find()).as("internals in the error message %s", shown).isFalse();
        } else {
            assertThat(json.path("success").asBoolean()).as(shown).isTrue();
        }
        if (probe.target().readsBody() && probe.body().bytes().length > BODY_LIMIT && probe.teamHeader() == null
                && probe.authorization() == null) {
            assertThat(reply.status()).as("a body past the limit (%s)", shown).isEqualTo(413);
        }
        assertHealthy();
    }

    private Map<String, byte[]> headers(Probe probe) {
        var headers = new LinkedHashMap<String, byte[]>();
        if (probe.contentType() != null) {
            headers.put("Content-Type", Junk.utf8(probe.contentType()));
        }
        String authorization = probe.authorization() != null ? probe.authorization() : switch (probe.target().caller()) {
            case NONE -> null;
            case ADMIN_KEY -> "Bearer " + adminKey;
            case ADMIN_SESSION -> "Bearer " + adminSession;
            case USER_SESSION -> "Bearer " + userSession;
            case FRESH_SESSION -> "Bearer " + freshSession();
        };
        if (authorization != null) {
            headers.put("Authorization", Junk.utf8(authorization));
        }
        if (probe.teamHeader() != null) {
            headers.put("X-Team-ID", Junk.utf8(probe.teamHeader()));
        }
        return headers;
    }

    /** A session not yet logged out; once the pool is spent, one that was (a 401, still a fair probe). */
    private synchronized String freshSession() {
        return freshSessions.size() > 1 ? freshSessions.poll() : freshSessions.peek();
    }

    private void assertHealthy() {
        try {
            var health = http.exchange("GET", Junk.utf8("/healthz"), Map.of(), new byte[0], false);
            assertThat(health.status()).as("GET /healthz after the probe: %s", health.text()).isEqualTo(200);
        } catch (IOException e) {
            throw new AssertionError("GET /healthz after the probe failed: " + e, e);
        }
    }

    /** Confirms the property ran its tries and reports the answers it got, for the test's log. */
    void report(String property, int before) {
        int ran = tries.get() - before;
        System.out.printf("%s: %d tries (seed %d)%n", property, ran, SEED);
        new TreeMap<>(statuses).forEach((key, count) -> System.out.printf("  %s x%d%n", key, count.get()));
        // QuickTheories skips an input it has already tried, so a few of the examples never become requests.
        assertThat(ran).as("tries of " + property).isGreaterThanOrEqualTo(TRIES * 3 / 4);
    }

    /** Starts a property: its answers are counted afresh; the tries so far, for {@link #report}. */
    int begin() {
        statuses.clear();
        return tries.get();
    }

    @Override
    public void close() {
        server.close();
    }
}
