package ai.sandbox0.server.egress;

import static ai.sandbox0.server.ApiReplies.assertError;
import static ai.sandbox0.server.ApiReplies.ok;
import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.Json;
import ai.sandbox0.server.TestServer;
import ai.sandbox0.server.auth.Role;
import ai.sandbox0.server.tenancy.ApiKeyScope;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real sandbox's connections through the node's egress proxy, as the team sees them: the audit endpoint, the
 * egress and ingress quota usage, the Prometheus counters, and an egress limit that refuses new connections.
 */
class EgressApiTest {

    private static final String BODY = "hello through the egress proxy ".repeat(100);
    /** Nothing listens there: a denied connection never leaves the proxy anyway. */
    private static final String DENIED = "198.18.93.7";

    private static Path dataDir;
    private static TestServer server;
    private static Upstream upstream;

    @BeforeAll
    static void start() throws Exception {
        upstream = Upstream.start(BODY);
        dataDir = Files.createTempDirectory("s0-egress-api");
        server = TestServer.withSandboxes(dataDir);
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (server != null) {
                server.close();
                assertThat(Files.readString(Path.of("/proc/self/mounts"))).doesNotContain(dataDir.toString());
                new ProcessBuilder("rm", "-rf", "--one-file-system", dataDir.toString()).start().waitFor();
            }
        } finally {
            if (upstream != null) {
                upstream.close();
            }
        }
    }

    private static String claim() throws Exception {
        return ok(server.json("POST", "/api/v1/sandboxes", """
                {"template":"default","config":{"network":{"mode":"allow-all","egress":{"deniedCidrs":["%s/32"]}}}}"""
                .formatted(DENIED)), 201).get("sandbox_id").asText();
    }

    /** Fetches {@code url} from inside the sandbox; prints the body, or ERR and the exception's class. */
    private static String fetch(String id, String url) throws Exception {
        String code = "import urllib.request\ntry:\n  print(urllib.request.urlopen('" + url + "', timeout=5).read().decode())\n"
                + "except Exception as e:\n  print('ERR', type(e).__name__, e)\n";
        return ok(server.json("POST", "/api/v1/sandboxes/" + id + "/contexts",
                "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"python3\",\"-c\"," + Json.writeString(code) + "]},"
                        + "\"wait_until_done\":true}"), 201).get("output_raw").asText();
    }

    /** A Python expression joining two halves of {@code value}: a command line holding it holds neither. */
    private static String halves(String value) {
        int half = value.length() / 2;
        return "(" + Json.writeString(value.substring(0, half)) + "+" + Json.writeString(value.substring(half)) + ").encode()";
    }

    private static JsonNode audit(String id, String query) throws Exception {
        return ok(server.authed("/api/v1/sandboxes/" + id + "/network/audit" + query), 200).get("records");
    }

    /** The audit once {@code done} holds for it (records are written a moment after a connection ends). */
    private static JsonNode awaitAudit(String id, Predicate<JsonNode> done, String what) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        JsonNode records = audit(id, "");
        while (!done.test(records)) {
            assertThat(System.nanoTime()).as("%s within 30 s (audit: %s)", what, records).isLessThan(deadline);
            Thread.sleep(100);
            records = audit(id, "");
        }
        return records;
    }

    private static long usage(String dimension) throws Exception {
        JsonNode quota = ok(server.authed("/api/v1/quotas/" + dimension), 200);
        assertThat(quota.get("usage_value").isIntegralNumber()).as("%s usage is metered: %s", dimension, quota).isTrue();
        return quota.get("usage_value").asLong();
    }

    private static long awaitUsage(String dimension, long atLeast) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        long used = usage(dimension);
        while (used < atLeast) {
            assertThat(System.nanoTime()).as("%s usage reaching %d within 30 s (now %d)", dimension, atLeast, used)
                    .isLessThan(deadline);
            Thread.sleep(100);
            used = usage(dimension);
        }
        return used;
    }

    private static JsonNode find(JsonNode records, String decision) {
        for (JsonNode r : records) {
            if (r.get("decision").asText().equals(decision)) {
                return r;
            }
        }
        return null;
    }

    @Test
    void theTeamSeesEachConnectionItsDecisionAndItsBytes() throws Exception {
        long egressBefore = usage("egress");
        long ingressBefore = usage("ingress");
        String id = claim();

        assertThat(fetch(id, "http://" + Upstream.ADDRESS + ":" + Upstream.PORT + "/")).contains(BODY.strip());
        assertThat(fetch(id, "http://" + DENIED + ":80/")).contains("ERR");

        JsonNode records = awaitAudit(id, r -> find(r, "allowed") != null && find(r, "denied") != null,
                "the allowed and the denied connection");
        assertThat(records.get(0).get("decision").asText()).as("newest first: the denied one came last").isEqualTo("denied");
        JsonNode allowed = find(records, "allowed");
        assertThat(allowed.get("address").asText()).isEqualTo(Upstream.ADDRESS);
        assertThat(allowed.get("port").asInt()).isEqualTo(Upstream.PORT);
        assertThat(allowed.get("host").asText()).isEqualTo(Upstream.ADDRESS);
        assertThat(allowed.get("app_protocol").asText()).isEqualTo("http");
        assertThat(allowed.get("reason").asText()).isEqualTo("mode allow-all");
        assertThat(allowed.get("bytes_in").asLong()).isGreaterThan(BODY.length());
        assertThat(allowed.get("bytes_out").asLong()).isPositive();
        assertThat(allowed.get("duration_ms").asLong()).isNotNegative();
        assertThat(Instant.parse(allowed.get("time").asText())).isBeforeOrEqualTo(Instant.now());
        JsonNode denied = find(records, "denied");
        assertThat(denied.get("address").asText()).isEqualTo(DENIED);
        assertThat(denied.get("port").asInt()).isEqualTo(80);
        assertThat(denied.get("reason").asText()).isEqualTo("deniedCidrs");
        assertThat(denied.get("bytes_in").asLong()).isZero();

        assertThat(audit(id, "?limit=1")).hasSize(1);
        assertThat(audit(id, "?decision=allowed")).allSatisfy(r -> assertThat(r.get("decision").asText()).isEqualTo("allowed"));
        assertError(server.authed("/api/v1/sandboxes/" + id + "/network/audit?limit=0"), 400, "bad_request", "limit");
        assertError(server.authed("/api/v1/sandboxes/" + id + "/network/audit?decision=maybe"), 400, "bad_request",
                "decision");

        // The bytes count for the team's egress and ingress quotas, and in Prometheus.
        assertThat(awaitUsage("ingress", ingressBefore + BODY.length())).isGreaterThan(ingressBefore + BODY.length());
        assertThat(awaitUsage("egress", egressBefore + 1)).isGreaterThan(egressBefore);
        String metrics = server.get("/metrics").body();
        assertThat(metrics).contains("sandbox0_egress_connections_total{decision=\"allowed\"}",
                "sandbox0_egress_connections_total{decision=\"denied\"}", "sandbox0_egress_bytes_total{direction=\"egress\"}",
                "sandbox0_egress_bytes_total{direction=\"ingress\"}", "sandbox0_egress_audit_dropped_total");
        assertThat(metrics).doesNotContain(id);

        // Another team's caller does not see it; an unknown sandbox is not found.
        String otherTeam = UUID.randomUUID().toString();
        server.execute("INSERT INTO teams (id, name, slug, created_at, updated_at) VALUES ('" + otherTeam
                + "', 'other', 'other-" + otherTeam + "', 0, 0)");
        String other = server.mintKey(otherTeam, null, server.adminUserId(), ApiKeyScope.TEAM,
                List.of(Role.ADMIN), true, Instant.now().plusSeconds(600));
        assertError(server.get("/api/v1/sandboxes/" + id + "/network/audit", "Authorization", "Bearer " + other), 403,
                "forbidden", "different team");
        assertError(server.authed("/api/v1/sandboxes/sb-0000000000000000/network/audit"), 404, "not_found",
                "sandbox not found");

        // The audit goes with the sandbox.
        assertThat(dataDir.resolve("egress-audit").resolve(id)).isDirectory();
        ok(server.json("DELETE", "/api/v1/sandboxes/" + id, null), 200);
        TestServer.awaitGone(dataDir.resolve("egress-audit").resolve(id));
        assertError(server.authed("/api/v1/sandboxes/" + id + "/network/audit"), 404, "not_found", "sandbox not found");
    }

    @Test
    void aTeamAtItsEgressLimitCannotOpenANewConnection() throws Exception {
        String id = claim();
        String url = "http://" + Upstream.ADDRESS + ":" + Upstream.PORT + "/";
        assertThat(fetch(id, url)).contains(BODY.strip());
        awaitAudit(id, r -> find(r, "allowed") != null, "the first connection");
        try {
            long used = usage("egress");
            ok(server.json("PUT", "/api/v1/quotas/egress", "{\"limit_value\":" + used + "}"), 200);

            assertThat(fetch(id, url)).contains("ERR").doesNotContain(BODY.strip());
            JsonNode refused = awaitAudit(id, r -> find(r, "denied") != null, "the refused connection").get(0);
            assertThat(refused.get("decision").asText()).isEqualTo("denied");
            assertThat(refused.get("reason").asText()).isEqualTo("quota");
            assertThat(refused.get("address").asText()).isEqualTo(Upstream.ADDRESS);
        } finally {
            ok(server.json("DELETE", "/api/v1/quotas/egress", null), 200);
        }
        assertThat(fetch(id, url)).as("the limit removed").contains(BODY.strip());
        ok(server.json("DELETE", "/api/v1/sandboxes/" + id, null), 200);
    }

    @Test
    void aTeamAtItsEgressLimitIsRefusedFromANewSandboxsVeryFirstConnection() throws Exception {
        long used = usage("egress");
        ok(server.json("PUT", "/api/v1/quotas/egress", "{\"limit_value\":" + used + "}"), 200);
        String id = null;
        try {
            id = claim();
            assertThat(fetch(id, "http://" + Upstream.ADDRESS + ":" + Upstream.PORT + "/"))
                    .as("the run was known as the team's before it started").contains("ERR")
                    .doesNotContain(BODY.strip());
            JsonNode refused = awaitAudit(id, r -> find(r, "denied") != null, "the refused connection");
            assertThat(find(refused, "allowed")).as("no connection got through: %s", refused).isNull();
            assertThat(find(refused, "denied").get("reason").asText()).isEqualTo("quota");
        } finally {
            ok(server.json("DELETE", "/api/v1/quotas/egress", null), 200);
            if (id != null) {
                ok(server.json("DELETE", "/api/v1/sandboxes/" + id, null), 200);
            }
        }
    }

    @Test
    void aBoundCredentialIsInjectedOnTheWayOutAndTheSandboxNeverHoldsIt() throws Exception {
        String secret = "s0-injected-" + Long.toHexString(System.nanoTime());
        ok(server.json("POST", "/api/v1/credential-sources", """
                {"name":"echo-token","resolverKind":"static_headers","spec":{"staticHeaders":{"values":{"token":"%s"}}}}"""
                .formatted(secret)), 201);
        String id = ok(server.json("POST", "/api/v1/sandboxes", """
                {"template":"default","config":{"network":{"mode":"allow-all",
                  "credentialBindings":[{"ref":"echo","sourceRef":"echo-token","projection":{"type":"http_headers",
                    "httpHeaders":{"headers":[{"name":"Authorization","valueTemplate":"Bearer {{ .token }}"}]}}}],
                  "egress":{"credentialRules":[{"name":"echo","credentialRef":"echo","protocol":"http",
                    "ports":[{"port":%d}]}]}}}}""".formatted(Upstream.ECHO_PORT)), 201).get("sandbox_id").asText();
        try {
            String seen = fetch(id, "http://" + Upstream.ADDRESS + ":" + Upstream.ECHO_PORT + "/v1/things");
            assertThat(seen).as("the upstream got the request with the secret").contains("GET /v1/things")
                    .contains("Authorization: Bearer " + secret);
            // The request is audited on its own, by its binding's ref, never its value.
            long deadline = System.nanoTime() + 30_000_000_000L;
            JsonNode requests = audit(id, "?kind=request");
            while (requests.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(100);
                requests = audit(id, "?kind=request");
            }
            assertThat(requests).hasSize(1);
            JsonNode request = requests.get(0);
            assertThat(request.get("kind").asText()).isEqualTo("request");
            assertThat(request.get("method").asText()).isEqualTo("GET");
            assertThat(request.get("path").asText()).isEqualTo("/v1/things");
            assertThat(request.get("status").asInt()).isEqualTo(200);
            assertThat(request.get("credential_ref").asText()).isEqualTo("echo");
            assertThat(request.get("decision").asText()).isEqualTo("allowed");
            assertThat(audit(id, "?kind=connection")).allSatisfy(r -> assertThat(r.get("kind").asText())
                    .isEqualTo("connection"));
            assertThat(server.authed("/api/v1/sandboxes/" + id + "/network/audit").body()).doesNotContain(secret);
            assertError(server.authed("/api/v1/sandboxes/" + id + "/network/audit?kind=packet"), 400, "bad_request",
                    "kind");
            assertThat(server.get("/metrics").body()).contains("sandbox0_egress_requests_total{decision=\"allowed\"}");
            // Nothing inside holds it, nor the node CA's private key: not the environment of any process, not a
            // file the sandbox can read. The search assembles its needles from halves so that its own command
            // line does not hold them.
            Path caKey = dataDir.resolve("node").resolve("egress").resolve("mitm-ca.key");
            assertThat(caKey).as("the node's CA key, on the host").isRegularFile();
            String caChunk = Files.readAllLines(caKey).get(1).substring(0, 40);
            String search = "import os\nneedles=[" + halves(secret) + "," + halves(caChunk) + "]\nhits=[]\n"
                    + "for d,_,fs in os.walk('/', topdown=True):\n"
                    + "  if d.startswith(('/sys','/proc/sys','/dev')): continue\n"
                    + "  for f in fs:\n    p=os.path.join(d,f)\n"
                    + "    try:\n      if os.path.isfile(p) and os.path.getsize(p)<(8<<20):\n"
                    + "        data=open(p,'rb').read()\n"
                    + "        if any(n in data for n in needles): hits.append(p)\n"
                    + "    except Exception: pass\n"
                    + "print('hits', [h for h in hits if not h.endswith(('/cmdline','/environ')) or str(os.getpid()) not in h])\n";
            String found = ok(server.json("POST", "/api/v1/sandboxes/" + id + "/contexts",
                    "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"python3\",\"-c\"," + Json.writeString(search) + "]},"
                            + "\"wait_until_done\":true}"), 201).get("output_raw").asText();
            assertThat(found.strip()).isEqualTo("hits []");
            // Nor the memory of the process that made a request given the secret: it reads its own memory through
            // /proc/self/mem into a file, searched here (the echo's answer, which repeats the secret, is left
            // unread in the kernel: only the status line is read).
            String marker = "memdump-marker-" + Long.toHexString(System.nanoTime());
            String dump = "import os, socket\nmarker=" + Json.writeString(marker) + "\n"
                    + "s=socket.create_connection(('" + Upstream.ADDRESS + "'," + Upstream.ECHO_PORT + "))\n"
                    + "s.sendall(b'GET /v1/memory HTTP/1.1\\r\\nHost: echo\\r\\nConnection: close\\r\\n\\r\\n')\n"
                    + "status=s.recv(12)\nout=open('/tmp/mem.dump','wb')\n"
                    + "for line in open('/proc/self/maps'):\n"
                    + "  f=line.split(); lo,hi=[int(x,16) for x in f[0].split('-')]\n"
                    + "  if 'r' not in f[1] or hi-lo>(256<<20) or (len(f)>5 and f[5].startswith(('[vvar','[vsyscall'))): continue\n"
                    + "  try:\n    m=open('/proc/self/mem','rb'); m.seek(lo); out.write(m.read(hi-lo)); m.close()\n"
                    + "  except Exception: pass\n"
                    + "out.close()\nprint(status.decode(), os.path.getsize('/tmp/mem.dump'))\n";
            String dumped = ok(server.json("POST", "/api/v1/sandboxes/" + id + "/contexts",
                    "{\"type\":\"cmd\",\"cmd\":{\"command\":[\"python3\",\"-c\"," + Json.writeString(dump) + "]},"
                            + "\"wait_until_done\":true}"), 201).get("output_raw").asText();
            assertThat(dumped).as("the request went out and the memory was read").matches("(?s)HTTP/1\\.[01] 200 [1-9][0-9]+\\s*");
            byte[] memory = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                            server.uri("/api/v1/sandboxes/" + id + "/files?path=/tmp/mem.dump"))
                    .header("Authorization", "Bearer " + server.adminKey()).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofByteArray()).body();
            String memoryText = new String(memory, java.nio.charset.StandardCharsets.ISO_8859_1);
            assertThat(memoryText).as("the dump is the process's memory").contains(marker);
            assertThat(memoryText).as("the secret is nowhere in the memory of the process").doesNotContain(secret);
            assertThat(memoryText).doesNotContain(caChunk);
            assertThat(server.json("GET", "/api/v1/credential-sources/echo-token", null).body()).doesNotContain(secret);
        } finally {
            ok(server.json("DELETE", "/api/v1/sandboxes/" + id, null), 200);
            ok(server.json("DELETE", "/api/v1/credential-sources/echo-token", null), 200);
        }
    }
}
