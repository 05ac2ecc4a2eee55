package ai.sandbox0.server.sandbox;

import static ai.sandbox0.server.ApiReplies.assertError;
import static ai.sandbox0.server.ApiReplies.ok;
import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.Json;
import ai.sandbox0.server.TestServer;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The sandbox API end to end on real sandboxes: lifecycle, processes, files, pause/resume, snapshots, fork. */
class SandboxApiTest {

    private static Path dataDir;
    private static TestServer server;

    @BeforeAll
    static void start() throws Exception {
        dataDir = Files.createTempDirectory("s0-sandbox-api");
        server = TestServer.withSandboxes(dataDir);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        // Nothing of a sandbox stays mounted; then the data dir goes (the default image alone is ~500 MB).
        assertThat(Files.readString(Path.of("/proc/self/mounts"))).doesNotContain(dataDir.toString());
        new ProcessBuilder("rm", "-rf", "--one-file-system", dataDir.toString()).start().waitFor();
    }

    private static String claim(String body) throws Exception {
        JsonNode claimed = ok(server.json("POST", "/api/v1/sandboxes", body), 201);
        return claimed.get("sandbox_id").asText();
    }

    private static JsonNode get(String id) throws Exception {
        return ok(server.authed("/api/v1/sandboxes/" + id), 200);
    }

    private static JsonNode await(String id, Predicate<JsonNode> condition, String what) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        JsonNode sandbox = get(id);
        while (!condition.test(sandbox)) {
            assertThat(System.nanoTime()).as("%s within 60 s (last: %s)", what, sandbox).isLessThan(deadline);
            Thread.sleep(100);
            sandbox = get(id);
        }
        return sandbox;
    }

    private static JsonNode pauseAndWait(String id) throws Exception {
        JsonNode paused = ok(server.json("POST", "/api/v1/sandboxes/" + id + "/pause", null), 200);
        assertThat(paused.get("sandbox_id").asText()).isEqualTo(id);
        return await(id, s -> s.get("status").asText().equals("paused") && s.get("paused").asBoolean(), "paused");
    }

    private static String cmd(String id, String script) throws Exception {
        JsonNode result = ok(server.json("POST", "/api/v1/sandboxes/" + id + "/contexts",
                "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"sh\",\"-c\"," + Json.writeString(script) + "]},\"wait_until_done\":true}"),
                201);
        return result.get("output_raw").asText();
    }

    private static void write(String id, String path, String content) throws Exception {
        ok(server.send(java.net.http.HttpRequest.newBuilder(server.uri("/api/v1/sandboxes/" + id + "/files?path=" + path))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(content)),
                "Authorization", "Bearer " + server.adminKey(), "Content-Type", "application/octet-stream"), 200);
    }

    private static String read(String id, String path) throws Exception {
        HttpResponse<String> response = server.authed("/api/v1/sandboxes/" + id + "/files?path=" + path);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response.body();
    }

    @Test
    void claimGivesARunningSandboxWithTheUpstreamShapes() throws Exception {
        HttpResponse<String> response = server.json("POST", "/api/v1/sandboxes",
                "{\"template\":\"default\",\"config\":{\"ttl\":300,\"hard_ttl\":3600,\"env_vars\":{\"APP_ENV\":\"dev\"}}}");
        JsonNode claimed = ok(response, 201);
        String id = claimed.get("sandbox_id").asText();
        assertThat(id).matches("[a-z0-9]([a-z0-9-]*[a-z0-9])?").doesNotContain("--");
        assertThat((id + "--p65535").length()).isLessThanOrEqualTo(63);
        assertThat(claimed.get("template").asText()).isEqualTo("default");
        assertThat(claimed.get("pod_name").asText()).isNotBlank();
        assertThat(claimed.get("status").asText()).isIn("starting", "running");

        JsonNode sandbox = get(id);
        assertThat(sandbox.get("id").asText()).isEqualTo(id);
        assertThat(sandbox.get("template_id").asText()).isEqualTo("default");
        assertThat(sandbox.get("team_id").asText()).isNotBlank();
        assertThat(sandbox.get("status").asText()).isEqualTo("running");
        assertThat(sandbox.get("paused").asBoolean()).isFalse();
        assertThat(sandbox.get("auto_resume").asBoolean()).isTrue();
        assertThat(sandbox.get("runtime_generation").isIntegralNumber()).isTrue();
        Instant expires = Instant.parse(sandbox.get("expires_at").asText());
        Instant hardExpires = Instant.parse(sandbox.get("hard_expires_at").asText());
        assertThat(Duration.between(Instant.now(), expires).toSeconds()).isBetween(280L, 301L);
        assertThat(Duration.between(Instant.now(), hardExpires).toSeconds()).isBetween(3580L, 3601L);

        JsonNode status = ok(server.authed("/api/v1/sandboxes/" + id + "/status"), 200);
        assertThat(status.get("sandbox_id").asText()).isEqualTo(id);
        assertThat(status.get("status").asText()).isEqualTo("running");

        assertThat(cmd(id, "echo $APP_ENV")).contains("dev");
        JsonNode withContextEnv = ok(server.json("POST", "/api/v1/sandboxes/" + id + "/contexts",
                "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"sh\",\"-c\",\"echo $APP_ENV\"]},\"env_vars\":{\"APP_ENV\":\"ctx\"},"
                        + "\"wait_until_done\":true}"), 201);
        assertThat(withContextEnv.get("output_raw").asText()).contains("ctx");

        String ctx = ok(server.json("POST", "/api/v1/sandboxes/" + id + "/contexts",
                "{\"type\":\"repl\",\"repl\":{\"alias\":\"python\"}}"), 201).get("id").asText();
        ok(server.json("POST", "/api/v1/sandboxes/" + id + "/contexts/" + ctx + "/exec", "{\"data\":\"x = 41\"}"), 200);
        assertThat(ok(server.json("POST", "/api/v1/sandboxes/" + id + "/contexts/" + ctx + "/exec",
                "{\"data\":\"print(x + 1)\"}"), 200).get("output_raw").asText()).contains("42");

        ok(server.json("DELETE", "/api/v1/sandboxes/" + id, null), 200);
        assertError(server.authed("/api/v1/sandboxes/" + id), 404, "not_found", "sandbox not found");
        assertError(server.authed("/api/v1/sandboxes/" + id + "/contexts"), 404, "not_found", "sandbox not found");
    }

    @Test
    void logsShowProcdsOutputAsText() throws Exception {
        String id = claim("{\"template\":\"default\"}");
        HttpResponse<String> logs = server.authed("/api/v1/sandboxes/" + id + "/logs?tail_lines=50&timestamps=true");
        assertThat(logs.statusCode()).as(logs.body()).isEqualTo(200);
        assertThat(logs.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain");
        assertThat(logs.headers().firstValue("X-Sandbox-ID")).hasValue(id);
        assertThat(logs.headers().firstValue("X-Sandbox-Log-Container")).hasValue("procd");
        assertThat(logs.body()).contains("procd ready");
        String plain = server.authed("/api/v1/sandboxes/" + id + "/logs?tail_lines=1&since_seconds=600").body();
        assertThat(plain.strip().lines()).hasSize(1);

        for (String bad : new String[] {"tail_lines=0", "tail_lines=5001", "limit_bytes=0", "since_seconds=0",
                "follow=maybe", "container=app"}) {
            assertError(server.authed("/api/v1/sandboxes/" + id + "/logs?" + bad), 400, "bad_request", "");
        }
        server.json("DELETE", "/api/v1/sandboxes/" + id, null);
    }

    /**
     * A follow streams what the container writes after it started, and ends on the server within a
     * poll interval once its client hangs up, however quiet the log is (before, it polled the file
     * until the sandbox went away).
     */
    @Test
    void logFollowStreamsNewLinesAndEndsWhenTheClientHangsUp() throws Exception {
        String id = claim("{\"template\":\"default\"}");
        assertThat(follows()).isZero();
        var uri = server.uri("/api/v1/sandboxes/" + id + "/logs?follow=true");
        try (var socket = new java.net.Socket(uri.getHost(), uri.getPort())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET " + uri.getRawPath() + "?" + uri.getRawQuery() + " HTTP/1.1\r\nHost: x\r\n"
                    + "Authorization: Bearer " + server.adminKey() + "\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            var in = socket.getInputStream();
            var seen = new StringBuilder();
            byte[] buffer = new byte[8192];
            while (!seen.toString().contains("procd ready")) {
                int n = in.read(buffer);
                assertThat(n).as("follow ended early: %s", seen).isPositive();
                seen.append(new String(buffer, 0, n, java.nio.charset.StandardCharsets.UTF_8));
            }
            assertThat(seen.toString()).startsWith("HTTP/1.1 200");
            awaitFollows(1);
            cmd(id, "echo follow-marker-$((6*7)) >> /proc/1/fd/1"); // the container's stdout, as any process may write it
            while (!seen.toString().contains("follow-marker-42")) {
                int n = in.read(buffer);
                assertThat(n).as("follow ended before the new line: %s", seen).isPositive();
                seen.append(new String(buffer, 0, n, java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        awaitFollows(0);
        server.json("DELETE", "/api/v1/sandboxes/" + id, null);
    }

    /** {@code previous=true}: the end of the log of the run before the last pause, until the sandbox is deleted. */
    @Test
    void previousLogsAreThoseOfTheRunThatWasPaused() throws Exception {
        String id = claim("{\"template\":\"default\"}");
        String logs = "/api/v1/sandboxes/" + id + "/logs";
        assertError(server.authed(logs + "?previous=true"), 404, "not_found", "has no previous run");
        cmd(id, "echo run-one-marker >> /proc/1/fd/1");
        pauseAndWait(id);
        HttpResponse<String> previous = server.authed(logs + "?previous=true&tail_lines=100");
        assertThat(previous.statusCode()).as(previous.body()).isEqualTo(200);
        assertThat(previous.headers().firstValue("X-Sandbox-Log-Previous")).hasValue("true");
        assertThat(previous.body()).contains("procd ready", "run-one-marker");

        ok(server.json("POST", "/api/v1/sandboxes/" + id + "/resume", null), 200);
        String current = server.authed(logs).body();
        assertThat(current).contains("procd ready").doesNotContain("run-one-marker");
        assertThat(server.authed(logs + "?previous=true").body()).contains("run-one-marker");

        ok(server.json("DELETE", "/api/v1/sandboxes/" + id, null), 200);
        TestServer.awaitGone(dataDir.resolve("node/logs/" + id + ".log"));
    }

    private static int follows() throws Exception {
        return server.get("/metrics").body().lines().filter(l -> l.startsWith("sandbox_log_follows "))
                .mapToInt(l -> (int) Double.parseDouble(l.substring(l.indexOf(' ') + 1))).findFirst().orElseThrow();
    }

    private static void awaitFollows(int expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (follows() != expected) {
            assertThat(System.nanoTime()).as("%d open log follows within 5 s (now %d)", expected, follows()).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    @Test
    void claimValidation() throws Exception {
        assertError(server.json("POST", "/api/v1/sandboxes", "{}"), 400, "bad_request", "template is required");
        // A team at its active_sandboxes quota: 429 with upstream's code, and nothing is left behind.
        ok(server.json("PUT", "/api/v1/quotas/active_sandboxes", "{\"limit_value\":0}"), 200);
        assertError(server.json("POST", "/api/v1/sandboxes", "{\"template\":\"default\"}"), 429, "quota_exceeded",
                "quota exceeded: active_sandboxes limit 0");
        ok(server.json("DELETE", "/api/v1/quotas/active_sandboxes", null), 200);
        assertError(server.json("POST", "/api/v1/sandboxes", "{\"template\":\"nope\"}"), 404, "not_found", "template nope not found");
        assertError(server.json("POST", "/api/v1/sandboxes", "{\"template\":\"default\",\"snapshot_id\":\"nope\"}"), 404,
                "not_found", "snapshot nope not found");
        assertError(server.json("POST", "/api/v1/sandboxes", "{\"template\":\"default\",\"config\":{\"ttl\":600,\"hard_ttl\":300}}"),
                400, "bad_request", "ttl must be <= hard_ttl");
        assertError(server.json("POST", "/api/v1/sandboxes", "{\"template\":\"default\",\"config\":{\"ttl\":-1}}"),
                400, "bad_request", "ttl must be >= 0");
        assertError(server.json("POST", "/api/v1/sandboxes", "{\"template\":\"default\",\"config\":{\"services\":"
                + "[{\"id\":\"bad id\",\"port\":80,\"ingress\":{\"public\":true}}]}}"),
                400, "bad_request", "invalid claim request: services[0]: id must be a DNS label");
        assertError(server.json("POST", "/api/v1/sandboxes", "{\"template\":\"default\",\"config\":{\"auto_resume\":false,"
                + "\"services\":[{\"id\":\"web\",\"port\":80,\"ingress\":{\"public\":true,\"routes\":[{\"id\":\"r\",\"resume\":true}]}}]}}"),
                400, "bad_request", "cannot set resume=true on public routes when sandbox auto_resume is disabled");
        assertError(server.json("POST", "/api/v1/sandboxes", "{\"template\":\"default\",\"config\":{\"network\":{}}}"),
                400, "bad_request", "network.mode is required");
        assertError(server.json("POST", "/api/v1/sandboxes", "{\"template\":\"default\",\"config\":{\"webhook\":{}}}"),
                400, "bad_request", "webhook.url is required");
    }

    @Test
    void listFiltersAndValidation() throws Exception {
        String a = claim("{\"template\":\"default\"}");
        String b = claim("{\"template\":\"default\"}");
        JsonNode list = ok(server.authed("/api/v1/sandboxes?template_id=default&limit=1"), 200);
        assertThat(list.get("sandboxes")).hasSize(1);
        assertThat(list.get("count").asInt()).isGreaterThanOrEqualTo(2);
        assertThat(list.get("has_more").asBoolean()).isTrue();
        assertThat(list.get("sandboxes").get(0).get("id").asText()).isEqualTo(b); // newest first

        for (String bad : new String[] {"limit=0", "limit=201", "status=completed", "paused=maybe", "offset=-1", "limit=x"}) {
            assertThat(server.authed("/api/v1/sandboxes?" + bad).statusCode()).as(bad).isEqualTo(400);
        }
        assertThat(ok(server.authed("/api/v1/sandboxes?paused=true"), 200).get("sandboxes").toString()).doesNotContain(a);
        server.json("DELETE", "/api/v1/sandboxes/" + a, null);
        server.json("DELETE", "/api/v1/sandboxes/" + b, null);
    }

    @Test
    void filesAndRootfsSurvivePauseAndResume() throws Exception {
        String id = claim("{\"template\":\"default\"}");
        write(id, "/root/notes.txt", "before pause");
        write(id, "/tmp/scratch/notes.txt", "in tmp");
        cmd(id, "mkdir -p /opt/app && ln -s /root/notes.txt /opt/app/link && chmod 751 /opt/app && rm -f /etc/motd");
        long generation = get(id).get("runtime_generation").asLong();

        JsonNode paused = pauseAndWait(id);
        assertThat(paused.get("pod_name").asText()).isEmpty();
        ok(server.json("POST", "/api/v1/sandboxes/" + id + "/pause", null), 200); // idempotent
        try (var blobs = Files.list(dataDir.resolve("storage/blobs/sha256"))) {
            assertThat(blobs.toList()).as("image and checkpoint layers, every one encrypted").isNotEmpty()
                    .allSatisfy(blob -> {
                        try (var in = Files.newInputStream(blob)) {
                            assertThat(new String(in.readNBytes(8), java.nio.charset.StandardCharsets.ISO_8859_1))
                                    .isEqualTo("S0BLOB\u0000\u0001");
                        }
                    });
        }

        JsonNode resumed = ok(server.json("POST", "/api/v1/sandboxes/" + id + "/resume", null), 200);
        assertThat(resumed.get("resumed").asBoolean()).isTrue();
        JsonNode running = get(id);
        assertThat(running.get("status").asText()).isEqualTo("running");
        assertThat(running.get("runtime_generation").asLong()).isEqualTo(generation + 1);
        assertThat(read(id, "/root/notes.txt")).isEqualTo("before pause");
        assertThat(read(id, "/tmp/scratch/notes.txt")).as("/tmp is part of the root filesystem").isEqualTo("in tmp");
        assertThat(cmd(id, "df -k / | tail -1")).as("df shows the sandbox's own disk, not the host's")
                .matches("(?s).*\\s(5[0-2][0-9]{4})\\s.*");
        assertThat(cmd(id, "readlink /opt/app/link; stat -c %a /opt/app; test -e /etc/motd && echo motd || echo gone"))
                .contains("/root/notes.txt").contains("751").contains("gone");
        ok(server.json("POST", "/api/v1/sandboxes/" + id + "/resume", null), 200); // running: a no-op
        server.json("DELETE", "/api/v1/sandboxes/" + id, null);
    }

    /**
     * The rcode the sandbox gets for an A query of {@code name} sent to an arbitrary resolver address: the node's
     * resolver answers it (3 when the sandbox's policy withholds the name, else what the host's nameserver says).
     */
    private static String rcode(String id, String name) throws Exception {
        return cmd(id, "python3 -c \"import socket,struct\n"
                + "q=struct.pack('>HHHHHH',4242,0x0100,1,0,0,0)+b''.join(bytes([len(p)])+p.encode() for p in '" + name
                + "'.split('.'))+b'\\0'+struct.pack('>HH',1,1)\n"
                + "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.settimeout(10)\ns.sendto(q,('192.0.2.53',53))\n"
                + "print(s.recv(2048)[3]&15)\"").strip();
    }

    @Test
    void theNetworkPolicyIsServedValidatedAndAppliedLive() throws Exception {
        // A name the host's own nameserver answers (apt needs it on every machine these tests run on).
        String resolvable = "deb.debian.org";
        String id = claim("{\"template\":\"default\",\"config\":{\"network\":{\"mode\":\"block-all\",\"egress\":"
                + "{\"trafficRules\":[{\"name\":\"gh\",\"action\":\"allow\",\"domains\":[\"*.github.com\"]}]}}}}");
        String path = "/api/v1/sandboxes/" + id + "/network";
        JsonNode policy = ok(server.authed(path), 200);
        assertThat(policy.get("mode").asText()).isEqualTo("block-all");
        assertThat(policy.at("/egress/trafficRules/0/domains/0").asText()).isEqualTo("*.github.com");
        assertThat(policy.has("credentialBindings")).as("omitted when empty").isFalse();
        assertThat(rcode(id, resolvable)).as("withheld by block-all").isEqualTo("3");

        JsonNode updated = ok(server.json("PUT", path, "{\"mode\":\"allow-all\"}"), 200);
        assertThat(updated.get("mode").asText()).isEqualTo("allow-all");
        assertThat(rcode(id, resolvable)).as("answered at once").isEqualTo("0");

        assertError(server.json("PUT", path, "{\"mode\":\"open\"}"), 400, "bad_request", "mode");
        assertError(server.json("PUT", path, "{\"mode\":\"block-all\",\"egress\":{\"allowedDomains\":[\"a.com\"],"
                + "\"trafficRules\":[{\"action\":\"allow\",\"domains\":[\"b.com\"]}]}}"), 400, "bad_request",
                "egress trafficRules cannot be combined with legacy allowed*/denied* fields");
        assertError(server.json("PUT", path, "{\"mode\":\"block-all\",\"egress\":{\"trafficRules\":[{\"action\":\"allow\"}]}}"),
                400, "bad_request", "egress.trafficRules[0] needs at least one of cidrs, domains, ports, appProtocols");
        assertError(server.json("PUT", path, "{\"mode\":\"allow-all\",\"egress\":{\"credentialRules\":[{\"credentialRef\":\"x\"}]}}"),
                400, "bad_request", "egress.credentialRules[0].credentialRef \"x\" is not in credentialBindings");
        assertError(server.json("PUT", path, "{\"mode\":\"allow-all\",\"credentialBindings\":[{\"ref\":\"gh\",\"sourceRef\":"
                + "\"nope\",\"projection\":{\"type\":\"usernamePassword\"}}]}"), 400, "bad_request", "projection.type");
        assertError(server.json("PUT", path, "{\"mode\":\"allow-all\",\"credentialBindings\":[{\"ref\":\"gh\",\"sourceRef\":"
                + "\"nope\",\"projection\":{\"type\":\"username_password\",\"usernamePassword\":{}}}]}"), 400, "bad_request",
                "credentialBindings[0].sourceRef");
        assertError(server.json("PUT", "/api/v1/sandboxes/nope/network", "{\"mode\":\"allow-all\"}"), 404, "not_found", "");
        assertThat(ok(server.authed(path), 200).get("mode").asText()).as("a refused PUT changes nothing").isEqualTo("allow-all");

        // PUT /sandboxes/{id} with a network config is live too, and the policy outlives a pause.
        ok(server.json("PUT", "/api/v1/sandboxes/" + id, "{\"config\":{\"network\":{\"mode\":\"block-all\"}}}"), 200);
        assertThat(rcode(id, resolvable)).isEqualTo("3");
        pauseAndWait(id);
        ok(server.json("POST", "/api/v1/sandboxes/" + id + "/resume", null), 200);
        assertThat(ok(server.authed(path), 200).get("mode").asText()).isEqualTo("block-all");
        assertThat(rcode(id, resolvable)).isEqualTo("3");
        server.json("DELETE", "/api/v1/sandboxes/" + id, null);
    }

    @Test
    void callsOnAPausedSandboxAutoResumeOrAreRefused() throws Exception {
        String id = claim("{\"template\":\"default\"}");
        write(id, "/root/a.txt", "A");
        pauseAndWait(id);
        assertThat(read(id, "/root/a.txt")).isEqualTo("A"); // auto-resume
        assertThat(get(id).get("status").asText()).isEqualTo("running");

        String fixed = claim("{\"template\":\"default\",\"config\":{\"auto_resume\":false}}");
        pauseAndWait(fixed);
        assertError(server.authed("/api/v1/sandboxes/" + fixed + "/files?path=/root"), 503, "unavailable",
                "sandbox is not running and auto_resume is disabled");
        server.json("DELETE", "/api/v1/sandboxes/" + id, null);
        server.json("DELETE", "/api/v1/sandboxes/" + fixed, null);
    }

    @Test
    void snapshotsRestoreAndForkOnPausedSandboxes() throws Exception {
        String id = claim("{\"template\":\"default\"}");
        write(id, "/root/version.txt", "v1");
        write(id, "/tmp/version.txt", "tmp v1");
        // Owners as the sandbox sees them must survive every path through a layer, whichever host ids runs get.
        cmd(id, "mkdir -p /home/dev && echo d > /home/dev/f && chown -R 1000:1000 /home/dev");
        String owners = "stat -c %u:%g /root/version.txt /home/dev/f";
        assertThat(cmd(id, owners)).isEqualTo("0:0\n1000:1000\n");
        assertError(server.json("POST", "/api/v1/sandboxes/" + id + "/snapshots", "{}"), 409, "conflict",
                "sandbox rootfs operation requires a paused sandbox");

        pauseAndWait(id);
        JsonNode snapshot = ok(server.json("POST", "/api/v1/sandboxes/" + id + "/snapshots", "{\"name\":\"v1\"}"), 201);
        String snapshotId = snapshot.get("id").asText();
        assertThat(snapshotId).matches("rootfs-snapshot-[a-z0-9]{10}");
        assertThat(snapshot.get("sandbox_id").asText()).isEqualTo(id);
        assertThat(ok(server.authed("/api/v1/sandboxes/" + id + "/snapshots"), 200).get("count").asInt()).isEqualTo(1);
        assertThat(ok(server.authed("/api/v1/sandbox-rootfs-snapshots/" + snapshotId), 200).get("name").asText()).isEqualTo("v1");
        assertError(server.json("POST", "/api/v1/sandboxes/" + id + "/snapshots", "{\"expires_at\":\"2001-01-01T00:00:00Z\"}"),
                400, "bad_request", "expires_at must be in the future");

        ok(server.json("POST", "/api/v1/sandboxes/" + id + "/resume", null), 200);
        write(id, "/root/version.txt", "v2");
        write(id, "/tmp/version.txt", "tmp v2");
        pauseAndWait(id);
        assertError(server.json("POST", "/api/v1/sandboxes/" + id + "/rootfs/restore", "{}"), 400, "bad_request",
                "snapshot_id is required");
        JsonNode restored = ok(server.json("POST", "/api/v1/sandboxes/" + id + "/rootfs/restore",
                "{\"snapshot_id\":\"" + snapshotId + "\"}"), 200);
        assertThat(restored.get("status").asText()).isEqualTo("paused");

        JsonNode fork = ok(server.json("POST", "/api/v1/sandboxes/" + id + "/fork", "{}"), 201);
        assertThat(fork.get("source_sandbox_id").asText()).isEqualTo(id);
        String forkId = fork.at("/sandbox/id").asText();
        assertThat(forkId).isNotEqualTo(id);
        assertThat(fork.at("/sandbox/status").asText()).isEqualTo("paused");
        assertError(server.json("POST", "/api/v1/sandboxes/" + id + "/fork", "{\"config\":{}}"), 400, "bad_request", "config");

        ok(server.json("DELETE", "/api/v1/sandbox-rootfs-snapshots/" + snapshotId, null), 200);
        assertError(server.json("DELETE", "/api/v1/sandbox-rootfs-snapshots/" + snapshotId, null), 404, "not_found", "snapshot");

        ok(server.json("POST", "/api/v1/sandboxes/" + id + "/resume", null), 200);
        ok(server.json("POST", "/api/v1/sandboxes/" + forkId + "/resume", null), 200);
        assertThat(read(id, "/root/version.txt")).isEqualTo("v1");
        assertThat(read(id, "/tmp/version.txt")).as("restored /tmp").isEqualTo("tmp v1");
        assertThat(read(forkId, "/root/version.txt")).isEqualTo("v1");
        assertThat(read(forkId, "/tmp/version.txt")).as("forked /tmp").isEqualTo("tmp v1");
        write(forkId, "/root/version.txt", "fork");
        write(forkId, "/tmp/version.txt", "tmp fork");
        assertThat(read(id, "/root/version.txt")).isEqualTo("v1");

        pauseAndWait(forkId);
        String fromSnapshot = ok(server.json("POST", "/api/v1/sandboxes/" + forkId + "/snapshots", "{}"), 201).get("id").asText();
        String claimed = claim("{\"template\":\"default\",\"snapshot_id\":\"" + fromSnapshot + "\"}");
        assertThat(get(claimed).get("status").asText()).isEqualTo("running");
        assertThat(read(claimed, "/root/version.txt")).isEqualTo("fork");
        assertThat(read(claimed, "/tmp/version.txt")).as("/tmp of a claim from a snapshot").isEqualTo("tmp fork");
        for (String s : new String[] {id, forkId, claimed}) {
            assertThat(cmd(s, owners)).as("owners in " + s).isEqualTo("0:0\n1000:1000\n");
        }
        for (String s : new String[] {id, forkId, claimed}) {
            server.json("DELETE", "/api/v1/sandboxes/" + s, null);
        }
    }

    @Test
    void aTemplatesSecurityContextTakesEffect() throws Exception {
        String spec = "{\"mainContainer\":{\"image\":\"default\",\"resources\":{\"cpu\":\"500m\",\"memory\":\"2Gi\"},"
                + "\"securityContext\":%s}}";
        ok(server.json("POST", "/api/v1/templates", "{\"template_id\":\"as-dev\",\"spec\":" + spec.formatted(
                "{\"runAsUser\":1000,\"runAsGroup\":1000,\"runAsNonRoot\":true,\"readOnlyRootFilesystem\":true}") + "}"), 201);
        ok(server.json("POST", "/api/v1/templates", "{\"template_id\":\"ro-root\",\"spec\":" + spec.formatted(
                "{\"readOnlyRootFilesystem\":true,\"capabilities\":{\"drop\":[\"CHOWN\"]}}") + "}"), 201);
        assertError(server.json("POST", "/api/v1/templates", "{\"template_id\":\"nonroot\",\"spec\":" + spec.formatted(
                "{\"runAsNonRoot\":true}") + "}"), 400, "bad_request",
                "spec.mainContainer.securityContext.runAsNonRoot: the sandbox would run as root");
        // A team may tighten the runtime's defaults, not loosen them.
        assertError(server.json("POST", "/api/v1/templates", "{\"template_id\":\"loose\",\"spec\":" + spec.formatted(
                "{\"capabilities\":{\"add\":[\"NET_RAW\"]}}") + "}"), 403, "forbidden",
                "spec.mainContainer.securityContext.capabilities.add is privileged");

        String dev = claim("{\"template\":\"as-dev\"}");
        // procd and what it starts run as 1000; with no home for 1000 in the image, the workspace is /tmp.
        assertThat(cmd(dev, "id -u; id -g; pwd; echo $HOME")).isEqualTo("1000\n1000\n/tmp\n/tmp\n");
        assertThat(cmd(dev, "touch /etc/x 2>/dev/null && echo rw || echo ro; touch /tmp/t && echo tmp-ok"))
                .isEqualTo("ro\ntmp-ok\n");
        write(dev, "/tmp/api.txt", "from the API");
        assertThat(cmd(dev, "stat -c %u:%g /tmp/api.txt; cat /tmp/api.txt")).isEqualTo("1000:1000\nfrom the API");
        assertThat(server.json("POST", "/api/v1/sandboxes/" + dev + "/files?path=/etc/api.txt", "x").statusCode())
                .as("the file API writes as the sandbox's user too").isNotEqualTo(200);

        String ro = claim("{\"template\":\"ro-root\"}");
        assertThat(cmd(ro, "id -u; touch /usr/x 2>/dev/null && echo rw || echo ro; touch /root/w /tmp/w && echo writable;"
                + " chown 1000 /tmp/w 2>/dev/null && echo chowned || echo no-chown")).isEqualTo("0\nro\nwritable\nno-chown\n");
        for (String s : new String[] {dev, ro}) {
            server.json("DELETE", "/api/v1/sandboxes/" + s, null);
        }
        server.json("DELETE", "/api/v1/templates/as-dev", null);
        server.json("DELETE", "/api/v1/templates/ro-root", null);
    }

    @Test
    void updateAndRefreshMoveTheDeadlines() throws Exception {
        String id = claim("{\"template\":\"default\",\"config\":{\"ttl\":100}}");
        assertError(server.json("PUT", "/api/v1/sandboxes/" + id, "{}"), 400, "bad_request", "config is required");
        JsonNode updated = ok(server.json("PUT", "/api/v1/sandboxes/" + id, "{\"config\":{\"ttl\":900,\"env_vars\":{\"N\":\"7\"}}}"), 200);
        assertThat(Duration.between(Instant.now(), Instant.parse(updated.get("expires_at").asText())).toSeconds())
                .isBetween(880L, 901L);
        assertThat(cmd(id, "echo N=$N")).contains("N=7");

        JsonNode refreshed = ok(server.json("POST", "/api/v1/sandboxes/" + id + "/refresh", "{\"duration\":60}"), 200);
        assertThat(Duration.between(Instant.now(), Instant.parse(refreshed.get("expires_at").asText())).toSeconds())
                .isBetween(50L, 61L);
        assertThat(refreshed.get("hard_expires_at").asText()).isEqualTo("0001-01-01T00:00:00Z");
        assertError(server.json("POST", "/api/v1/sandboxes/" + id + "/refresh", "{\"duration\":-5}"), 400, "bad_request", "duration");
        assertThat(server.json("POST", "/api/v1/sandboxes/" + id + "/refresh", null).statusCode()).isEqualTo(200);
        pauseAndWait(id);
        assertError(server.json("POST", "/api/v1/sandboxes/" + id + "/refresh", null), 409, "conflict", "paused");
        server.json("DELETE", "/api/v1/sandboxes/" + id, null);
    }

    @Test
    void ttlPausesAndHardTtlDeletes() throws Exception {
        String soft = claim("{\"template\":\"default\",\"config\":{\"ttl\":2}}");
        String hard = claim("{\"template\":\"default\",\"config\":{\"hard_ttl\":3}}");
        write(soft, "/root/kept.txt", "kept");

        await(soft, s -> s.get("status").asText().equals("paused"), "ttl pause");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (server.authed("/api/v1/sandboxes/" + hard).statusCode() != 404) {
            assertThat(System.nanoTime()).as("hard ttl delete within 30 s").isLessThan(deadline);
            Thread.sleep(200);
        }
        assertThat(read(soft, "/root/kept.txt")).isEqualTo("kept");
        server.json("DELETE", "/api/v1/sandboxes/" + soft, null);
    }
}
