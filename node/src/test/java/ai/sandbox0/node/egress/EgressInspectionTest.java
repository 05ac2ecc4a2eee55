package ai.sandbox0.node.egress;

import static ai.sandbox0.node.egress.EgressTopology.UPSTREAM;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sandbox0.api.Json;
import ai.sandbox0.api.network.PlaceholderSubstitutionLocation;
import ai.sandbox0.api.network.SandboxNetworkPolicy;
import ai.sandbox0.node.runtime.HostCommand;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Inspected flows on the real kernel: clients in the sandbox namespace (curl, python) reach HTTPS and HTTP
 * upstreams that record every request they get, through the proxy, which terminates their TLS under its CA,
 * re-originates it verified against a test CA, applies protocol rules and injects credentials given by a
 * fake {@link EgressCredentials} (the server's real resolver has its own test).
 */
class EgressInspectionTest {

    private static final String SANDBOX = "sbx-inspect-1";
    private static final String SECRET = "s3cret-token-7f1e";
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(60);

    private static EgressTopology net;
    private static EgressProxy proxy;
    private static MitmAuthority authority;
    private static Path dir;
    private static Process upstream;
    private static final EgressPolicies policies = new EgressPolicies();
    private static final Map<String, EgressMaterial> material = new ConcurrentHashMap<>();
    private static final Set<String> broken = ConcurrentHashMap.newKeySet();
    private static final AtomicInteger resolutions = new AtomicInteger();
    private static final java.util.Queue<EgressRecord> audited = new java.util.concurrent.ConcurrentLinkedQueue<>();

    @BeforeAll
    static void up() throws Exception {
        dir = Files.createTempDirectory("s0-inspect-test-");
        EgressTopology.testCertificates(dir);
        authority = MitmAuthority.loadOrCreate(dir.resolve("ca"));
        Files.writeString(dir.resolve("proxy-ca.crt"), authority.certificatePem());
        var platform = new PlatformRules(PlatformRules.DEFAULT_PRIVATE_RANGES, EgressTopology.POOL);
        EgressCredentials credentials = (sandbox, ref) -> {
            resolutions.incrementAndGet();
            if (!sandbox.equals(SANDBOX)) {
                return Optional.empty();
            }
            if (broken.contains(ref)) {
                throw new EgressCredentials.Failure("binding " + ref + ": value template needs key \"token\"");
            }
            return Optional.ofNullable(material.get(ref));
        };
        proxy = new EgressProxy(0, policies, platform, NameRecords.NONE,
                EgressProxy.Hooks.NONE.withCredentials(credentials).withAudit(audited::add),
                new EgressProxy.Inspection(authority, UpstreamTls.readCertificates(dir.resolve("test-ca.crt"))));
        net = EgressTopology.start(proxy.port());
        Path script = dir.resolve("inspected.py");
        try (InputStream in = EgressInspectionTest.class.getResourceAsStream("/egress/inspected.py")) {
            Files.copy(in, script);
        }
        upstream = EgressTopology.startInUpstream(List.of("python3", script.toString(), log().toString(),
                dir.resolve("srv.crt").toString(), dir.resolve("srv.key").toString(),
                dir.resolve("bad.crt").toString(), dir.resolve("bad.key").toString()), dir.resolve("inspected.out"));
        EgressTopology.awaitWord(upstream, log(), "ready", dir.resolve("inspected.out"), Duration.ofSeconds(15));
    }

    @AfterAll
    static void down() throws IOException {
        try {
            EgressTopology.stop(upstream);
            if (proxy != null) {
                proxy.close();
            }
        } finally {
            if (net != null) {
                net.close();
            }
            if (dir != null) {
                HostCommand.run(List.of("rm", "-rf", dir.toString()));
            }
        }
    }

    @BeforeEach
    void reset() throws IOException {
        policies.put(SANDBOX, EgressTopology.sandboxAddress(), EgressPolicy.ALLOW_ALL);
        material.clear();
        broken.clear();
        audited.clear();
        Files.writeString(log(), "");
    }

    @Test
    void anHttpHeadersBindingPutsTheSecretInTheRequestTheClientSentWithoutIt() throws Exception {
        policies.put(SANDBOX, EgressTopology.sandboxAddress(), policy("""
                {"mode":"allow-all","egress":{"credentialRules":[{"credentialRef":"gh","protocol":"https",
                 "tlsMode":"terminate-reoriginate","domains":["api.test"]}]}}"""));
        material.put("gh", new EgressMaterial.Headers(Map.of("Authorization", "Bearer " + SECRET), later()));

        var r = curl("https://api.test:8443/user", "-H", "X-Client: sandbox");
        assertTrue(r.ok(), r.stderr());
        JsonNode seen = only(requests());
        assertEquals("Bearer " + SECRET, seen.path("headers").path("authorization").asText());
        assertEquals("sandbox", seen.path("headers").path("x-client").asText(), "the client's own headers pass");
        assertEquals("api.test:8443", seen.path("headers").path("host").asText());
    }

    @Test
    void eachInspectedRequestIsAuditedWithItsDecisionStatusAndBytesAndNeverItsSecrets() throws Exception {
        policies.put(SANDBOX, EgressTopology.sandboxAddress(), policy("""
                {"mode":"allow-all","egress":{
                 "protocolRules":[{"name":"no-admin","protocol":"http","tlsMode":"terminate-reoriginate",
                  "domains":["api.test"],"http":{"paths":{"deniedPrefixes":["/admin"]}}}],
                 "credentialRules":[{"credentialRef":"gh","protocol":"https","domains":["api.test"],
                  "httpMatch":{"pathPrefixes":["/repos/"]}}]}}"""));
        material.put("gh", new EgressMaterial.Headers(Map.of("Authorization", "Bearer " + SECRET), later()));

        // One connection: a request given the credential, one denied, one with no credential rule.
        var r = curl("https://api.test:8443/repos/1?token=" + SECRET, "-o", "/dev/null", "-w", "%{http_code}\\n",
                "https://api.test:8443/admin/users", "-o", "/dev/null",
                "https://api.test:8443/public", "-o", "/dev/null");
        assertEquals(List.of("200", "403", "200"), r.stdout().strip().lines().toList(), r.stderr());
        var post = curl("https://api.test:8443/repos/2", "--data-binary", "hello", "-o", "/dev/null");
        assertTrue(post.ok(), post.stderr());

        List<EgressRecord> records = awaitRecords(r2 -> r2.stream().filter(x -> x.request() == null).count() >= 2);
        List<EgressRecord> requests = records.stream().filter(x -> x.request() != null).toList();
        assertEquals(List.of("GET /repos/1 200 gh", "GET /admin/users 403 null", "GET /public 200 null",
                "POST /repos/2 200 gh"), requests.stream().map(x -> x.request().method() + " " + x.request().path()
                + " " + x.request().status() + " " + x.request().credentialRef()).toList(),
                "one record per request, in order, the path without its query: " + requests);
        EgressRecord denied = requests.get(1);
        assertFalse(denied.allowed());
        assertEquals("no-admin", denied.reason());
        assertTrue(requests.get(0).allowed() && requests.get(0).bytesIn() > 0, requests.get(0).toString());
        assertEquals(5, requests.get(3).bytesOut(), "the POST's body");
        assertEquals("api.test", requests.get(0).host());
        assertEquals(2, records.stream().filter(x -> x.request() == null && x.allowed()).count(),
                "each connection keeps its own record: " + records);
        assertTrue(records.stream().noneMatch(x -> x.toString().contains(SECRET)), records.toString());
    }

    private static List<EgressRecord> awaitRecords(java.util.function.Predicate<List<EgressRecord>> done) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            List<EgressRecord> now = List.copyOf(audited);
            if (done.test(now) || System.nanoTime() > deadline) {
                return now;
            }
            EgressTopology.sleep(20);
        }
    }

    @Test
    void anInspectedFlowGoesThroughThePolicysSocks5UpstreamByNameWithItsLoginAndGetsItsHeader() throws Exception {
        policies.put(SANDBOX, EgressTopology.sandboxAddress(), policy("""
                {"mode":"allow-all","egress":{"proxy":{"type":"socks5","address":"%s:1080","credentialRef":"corp-proxy"},
                 "credentialRules":[{"credentialRef":"gh","protocol":"https","domains":["api.test"]}]}}"""
                .formatted(UPSTREAM)));
        material.put("gh", new EgressMaterial.Headers(Map.of("Authorization", "Bearer " + SECRET), later()));
        material.put("corp-proxy", new EgressMaterial.UsernamePassword("alice", "proxy-pass-7", later()));
        Files.writeString(net.log(), "");

        var r = curl("https://api.test:8443/through-socks");
        assertTrue(r.ok(), r.stderr());
        JsonNode seen = only(requests());
        assertEquals("/through-socks", seen.path("path").asText());
        assertEquals("Bearer " + SECRET, seen.path("headers").path("authorization").asText());
        List<String> socks = net.upstreamSaw();
        assertTrue(socks.contains("socks-auth alice proxy-pass-7"), socks.toString());
        assertTrue(socks.contains("socks domain api.test 8443"), socks.toString());
    }

    @Test
    void placeholdersAreReplacedInAHeaderAQueryValueAndTheBody() throws Exception {
        policies.put(SANDBOX, EgressTopology.sandboxAddress(), policy("""
                {"mode":"allow-all","egress":{"credentialRules":[{"credentialRef":"key","protocol":"https",
                 "tlsMode":"terminate-reoriginate","domains":["api.test"],"ports":[{"port":8443}]}]}}"""));
        material.put("key", new EgressMaterial.Placeholders(List.of(new EgressMaterial.Replacement("__API_KEY__",
                SECRET + " +&=", Set.of(PlaceholderSubstitutionLocation.values()))), later()));

        var r = curl("https://api.test:8443/search?q=x&key=__API_KEY__&n=1", "-H", "X-Api-Key: k=__API_KEY__",
                "--data-binary", "{\"key\":\"__API_KEY__\",\"other\":\"__API_KEY__\"}");
        assertTrue(r.ok(), r.stderr());
        JsonNode seen = only(requests());
        assertEquals("k=" + SECRET + " +&=", seen.path("headers").path("x-api-key").asText());
        assertEquals("/search?q=x&key=" + SECRET + "%20%2B%26%3D&n=1", seen.path("path").asText(),
                "the decoded value replaced, re-encoded; the other parameters untouched");
        assertEquals("{\"key\":\"" + SECRET + " +&=\",\"other\":\"" + SECRET + " +&=\"}", seen.path("body").asText());
    }

    @Test
    void anHttpProtocolRuleDeniesDeleteAndAdminWith403AndTheUpstreamSeesNothingOfThem() throws Exception {
        policies.put(SANDBOX, EgressTopology.sandboxAddress(), policy("""
                {"mode":"allow-all","egress":{"protocolRules":[{"name":"no-admin","protocol":"http",
                 "tlsMode":"terminate-reoriginate","domains":["api.test"],
                 "http":{"methods":{"denied":["DELETE"]},"paths":{"deniedPrefixes":["/admin"]}}}]}}"""));

        var delete = curl("https://api.test:8443/repos/1", "-X", "DELETE", "-o", "/dev/null", "-w", "%{http_code}");
        assertEquals("403", delete.stdout().strip(), delete.stderr());
        // One connection: the denied request, a spelling of the same path, then an allowed one, kept alive.
        var both = curl("https://api.test:8443/admin/users", "-o", "/dev/null", "-w", "%{http_code} %{num_connects}\\n",
                "--path-as-is", "https://api.test:8443//x/../admin", "-o", "/dev/null",
                "https://api.test:8443/repos/1", "-o", "/dev/null");
        assertEquals(List.of("403 1", "403 0", "200 0"), both.stdout().strip().lines().toList(), both.stderr());
        List<JsonNode> seen = requests();
        assertEquals(1, seen.size(), "only the allowed request reached the upstream: " + seen);
        assertEquals("GET", seen.get(0).path("method").asText());
        assertEquals("/repos/1", seen.get(0).path("path").asText());

        var plain = curl("http://api.test:8080/admin", "-o", "/dev/null", "-w", "%{http_code}");
        assertEquals("403", plain.stdout().strip(), "the rule holds for plain HTTP to the domain too");
        assertEquals(1, requests().size());
    }

    @Test
    void aDeniedMcpToolGetsAJsonRpcErrorAndTheServerNeverSeesTheCall() throws Exception {
        policies.put(SANDBOX, EgressTopology.sandboxAddress(), policy("""
                {"mode":"allow-all","egress":{"protocolRules":[{"protocol":"mcp","tlsMode":"terminate-reoriginate",
                 "domains":["mcp.test"],"mcp":{"tools":{"denied":["delete_repo"]}}}]}}"""));
        String client = """
                %s
                c = conn("mcp.test")
                for i, (method, params) in enumerate([("tools/list", {}),
                        ("tools/call", {"name": "delete_repo", "arguments": {"repo": "x"}}),
                        ("tools/call", {"name": "read_file", "arguments": {"path": "/a"}})]):
                    body = json.dumps({"jsonrpc": "2.0", "id": 10 + i, "method": method, "params": params})
                    c.request("POST", "/mcp", body, {"Content-Type": "application/json",
                                                     "Accept": "application/json, text/event-stream"})
                    r = c.getresponse()
                    print(r.status, r.read().decode())
                """.formatted(python());
        var r = net.inSandbox(List.of("python3", "-c", client), null, CLIENT_TIMEOUT);
        assertTrue(r.ok(), r.stderr());
        List<String> lines = r.stdout().strip().lines().toList();
        assertEquals(3, lines.size(), r.stdout());
        assertTrue(lines.get(0).startsWith("200 ") && lines.get(0).contains("read_file"), lines.get(0));
        JsonNode denied = Json.mapper().readTree(lines.get(1).substring(4));
        assertTrue(lines.get(1).startsWith("200 "), lines.get(1));
        assertEquals(11, denied.path("id").asInt());
        assertEquals("tool delete_repo is denied by the sandbox's network policy",
                denied.path("error").path("message").asText());
        assertTrue(lines.get(2).contains("called read_file"), lines.get(2));

        List<JsonNode> seen = requests();
        assertEquals(List.of("tools/list", "tools/call"), seen.stream().map(s -> s.path("rpc").asText()).toList());
        assertEquals("read_file", seen.get(1).path("tool").asText());

        var garbage = curl("https://mcp.test:8443/mcp", "-H", "Content-Type: application/json", "--data-binary", "{nope");
        assertTrue(garbage.ok(), garbage.stderr());
        assertTrue(garbage.stdout().contains("\"error\""), "an unreadable body fails closed: " + garbage.stdout());
        assertEquals(2, requests().size(), "the unreadable call never reached the server");
    }

    @Test
    void failClosedAnswers503AndFailOpenForwardsTheRequestBare() throws Exception {
        policies.put(SANDBOX, EgressTopology.sandboxAddress(), policy("""
                {"mode":"allow-all","egress":{"credentialRules":[
                 {"credentialRef":"broken","protocol":"https","domains":["api.test"],"httpMatch":{"pathPrefixes":["/closed/"]}},
                 {"credentialRef":"missing","protocol":"https","domains":["api.test"],"failurePolicy":"fail-open",
                  "httpMatch":{"pathPrefixes":["/open/"]}},
                 {"credentialRef":"off","protocol":"https","domains":["api.test"],"rollout":"disabled"}]}}"""));
        broken.add("broken");
        material.put("off", new EgressMaterial.Headers(Map.of("Authorization", "Bearer " + SECRET), later()));

        var closed = curl("https://api.test:8443/closed/x", "-w", "%{http_code}");
        assertEquals(List.of("egress auth resolution failed", "503"), closed.stdout().strip().lines().toList());
        assertFalse(closed.stdout().contains("token"), "the failure's detail stays in the node's log");
        assertTrue(requests().isEmpty());

        var open = curl("https://api.test:8443/open/x", "-o", "/dev/null", "-w", "%{http_code}");
        assertEquals("200", open.stdout().strip(), open.stderr());
        var other = curl("https://api.test:8443/elsewhere", "-o", "/dev/null", "-w", "%{http_code}");
        assertEquals("200", other.stdout().strip(), other.stderr());
        List<JsonNode> seen = requests();
        assertEquals(2, seen.size());
        seen.forEach(s -> assertTrue(s.path("headers").path("authorization").isMissingNode(),
                "no credential: " + s));
    }

    @Test
    void theClientVerifiesTheProxysLeafAndTheProxyVerifiesTheDestination() throws Exception {
        policies.put(SANDBOX, EgressTopology.sandboxAddress(), policy("""
                {"mode":"allow-all","egress":{"credentialRules":[{"credentialRef":"gh","protocol":"https",
                 "domains":["api.test","bad.test"]}]}}"""));
        material.put("gh", new EgressMaterial.Headers(Map.of("Authorization", "Bearer " + SECRET), later()));

        var s = net.inSandbox(List.of("sh", "-c", "echo | openssl s_client -connect " + UPSTREAM + ":8443"
                + " -servername api.test -verify_hostname api.test -CAfile " + dir.resolve("proxy-ca.crt")), null,
                CLIENT_TIMEOUT);
        assertTrue(s.stdout().contains("Verify return code: 0 (ok)"), s.stdout() + s.stderr());
        assertTrue(s.stdout().contains("Sandbox0 egress CA"), "the leaf is the proxy's: " + s.stdout());

        var untrusting = net.inSandbox(List.of("curl", "-sS", "--resolve", "api.test:8443:" + UPSTREAM,
                "https://api.test:8443/x"), null, CLIENT_TIMEOUT);
        assertFalse(untrusting.ok(), "a client that does not trust the CA refuses the leaf");

        var bad = net.inSandbox(List.of("curl", "-sS", "--resolve", "bad.test:8444:" + UPSTREAM, "--cacert",
                dir.resolve("proxy-ca.crt").toString(), "https://bad.test:8444/x"), null, CLIENT_TIMEOUT);
        assertFalse(bad.ok(), "a destination whose certificate the proxy cannot verify is refused: " + bad.stdout());
        assertTrue(requests().isEmpty(), "nothing reached a destination: " + requests());
    }

    @Test
    void aHundredConcurrentHttpsConnectionsWithInjectionAllSucceed() throws Exception {
        policies.put(SANDBOX, EgressTopology.sandboxAddress(), policy("""
                {"mode":"allow-all","egress":{"credentialRules":[{"credentialRef":"gh","protocol":"https",
                 "domains":["api.test"]}]}}"""));
        material.put("gh", new EgressMaterial.Headers(Map.of("Authorization", "Bearer " + SECRET), later()));
        String client = """
                %s
                import threading
                barrier = threading.Barrier(100)
                results = []
                def one(i):
                    try:
                        c = conn("api.test")
                        barrier.wait()
                        c.request("GET", "/n/%%d" %% i)
                        r = c.getresponse()
                        seen = json.loads(r.read())
                        results.append(r.status == 200 and seen["headers"].get("authorization") == "Bearer %s")
                    except Exception as e:
                        results.append(repr(e))
                ts = [threading.Thread(target=one, args=(i,)) for i in range(100)]
                [t.start() for t in ts]
                [t.join() for t in ts]
                print(sum(1 for r in results if r is True), [r for r in results if r is not True][:3])
                """.formatted(python(), SECRET);
        var r = net.inSandbox(List.of("python3", "-c", client), null, CLIENT_TIMEOUT);
        assertTrue(r.ok(), r.stderr());
        assertEquals("100 []", r.stdout().strip());
        assertEquals(100, requests().size());
    }

    // ---- helpers

    private static Instant later() {
        return Instant.now().plusSeconds(300);
    }

    private static HostCommand.Result curl(String url, String... args) throws IOException {
        var argv = new ArrayList<>(List.of("curl", "-sS", "--cacert", dir.resolve("proxy-ca.crt").toString()));
        for (String name : List.of("api.test", "mcp.test")) {
            for (int port : List.of(8080, 8443)) {
                argv.addAll(List.of("--resolve", name + ":" + port + ":" + UPSTREAM));
            }
        }
        argv.add(url);
        argv.addAll(List.of(args));
        return net.inSandbox(argv, null, CLIENT_TIMEOUT);
    }

    /** Python's {@code conn(host)}: an HTTPS connection to the upstream address under {@code host}, trusting the proxy's CA. */
    private static String python() {
        return """
                import json, socket, ssl, http.client
                ctx = ssl.create_default_context(cafile="%s")
                def conn(host, port=8443):
                    c = http.client.HTTPSConnection(host, port, context=ctx, timeout=60)
                    c.sock = ctx.wrap_socket(socket.create_connection(("%s", port), timeout=60), server_hostname=host)
                    return c
                """.formatted(dir.resolve("proxy-ca.crt"), UPSTREAM).stripTrailing();
    }

    private static Path log() {
        return dir.resolve("inspected.log");
    }

    /** The requests the upstreams received since the test began. */
    private static List<JsonNode> requests() throws IOException {
        var out = new ArrayList<JsonNode>();
        for (String line : Files.readAllLines(log())) {
            JsonNode n = Json.mapper().readTree(line);
            if (!n.has("ready")) {
                out.add(n);
            }
        }
        return out;
    }

    private static JsonNode only(List<JsonNode> requests) {
        assertEquals(1, requests.size(), "requests: " + requests);
        return requests.get(0);
    }

    private static EgressPolicy policy(String json) throws IOException {
        return EgressPolicy.compile(Json.mapper().readValue(json, SandboxNetworkPolicy.class));
    }
}
