package ai.sandbox0.node.egress;

import static ai.sandbox0.node.egress.EgressTopology.UPSTREAM;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Inspected flows that are not plain HTTP/1.1, on the real kernel: HTTP/2 negotiated end to end through the
 * proxy (curl), gRPC (Debian's grpcio on both ends, raw-bytes methods) and a WebSocket upgrade (Debian's
 * websockets on both ends), each with a credential injected by the proxy and seen by the real server.
 */
class EgressInspectionProtocolsTest {

    private static final String SANDBOX = "sbx-protocols-1";
    private static final String SECRET = "s3cret-token-2b9c";
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(60);
    /** Debian's interpreter: the one python3-h2, python3-grpcio and python3-websockets are installed for. */
    private static final String PYTHON = "/usr/bin/python3";

    private static EgressTopology net;
    private static EgressProxy proxy;
    private static Path dir;
    private static Process upstream;
    private static final EgressPolicies policies = new EgressPolicies();
    private static final Map<String, EgressMaterial> material = new ConcurrentHashMap<>();
    private static final AtomicLong metered = new AtomicLong();
    private static final java.util.Queue<EgressRecord> audited = new java.util.concurrent.ConcurrentLinkedQueue<>();

    @BeforeAll
    static void up() throws Exception {
        var missing = HostCommand.run(List.of(PYTHON, "-c", "import h2, grpc, websockets"), null, Duration.ofSeconds(30));
        if (!missing.ok()) {
            throw new IllegalStateException("these tests need Debian's python3-h2, python3-grpcio and python3-websockets: "
                    + missing.stderr());
        }
        dir = Files.createTempDirectory("s0-protocols-test-");
        EgressTopology.testCertificates(dir);
        MitmAuthority authority = MitmAuthority.loadOrCreate(dir.resolve("ca"));
        Files.writeString(dir.resolve("proxy-ca.crt"), authority.certificatePem());
        var platform = new PlatformRules(PlatformRules.DEFAULT_PRIVATE_RANGES, EgressTopology.POOL);
        EgressCredentials credentials = (sandbox, ref) -> sandbox.equals(SANDBOX)
                ? Optional.ofNullable(material.get(ref)) : Optional.empty();
        proxy = new EgressProxy(0, policies, platform, NameRecords.NONE,
                EgressProxy.Hooks.NONE.withCredentials(credentials).withMeter((id, out, in) -> metered.addAndGet(out + in))
                        .withAudit(audited::add),
                new EgressProxy.Inspection(authority, UpstreamTls.readCertificates(dir.resolve("test-ca.crt"))));
        net = EgressTopology.start(proxy.port());
        Path script = dir.resolve("protocols.py");
        try (InputStream in = EgressInspectionProtocolsTest.class.getResourceAsStream("/egress/protocols.py")) {
            Files.copy(in, script);
        }
        upstream = EgressTopology.startInUpstream(List.of(PYTHON, script.toString(), log().toString(),
                dir.resolve("srv.crt").toString(), dir.resolve("srv.key").toString()), dir.resolve("protocols.out"));
        EgressTopology.awaitWord(upstream, log(), "ready", dir.resolve("protocols.out"), Duration.ofSeconds(30));
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
        policies.put(SANDBOX, EgressTopology.sandboxAddress(), policy("""
                {"mode":"allow-all","egress":{
                 "protocolRules":[{"name":"no-admin","protocol":"http","tlsMode":"terminate-reoriginate",
                  "domains":["api.test"],"http":{"paths":{"deniedPrefixes":["/admin"]}}}],
                 "credentialRules":[{"credentialRef":"gh","protocol":"https","domains":["api.test"]}]}}"""));
        material.clear();
        audited.clear();
        material.put("gh", new EgressMaterial.Headers(Map.of("Authorization", "Bearer " + SECRET), later()));
        Files.writeString(log(), "");
    }

    @Test
    void http2StaysHttp2BothWaysWithTheCredentialAndADeniedStreamLeavesTheConnectionUsable() throws Exception {
        var r = curl("--http2", "https://api.test:9443/one", "-o", "/dev/null", "-w", "%{http_version} %{http_code} %{num_connects}\\n",
                "https://api.test:9443/admin/users", "-o", "/dev/null",
                "https://api.test:9443/two?x=1", "-o", "/dev/null");
        assertEquals(List.of("2 200 1", "2 403 0", "2 200 0"), r.stdout().strip().lines().toList(),
                "the client speaks HTTP/2 with the proxy, all on one connection: " + r.stderr());
        List<JsonNode> seen = requests();
        assertEquals(List.of("/one", "/two?x=1"), seen.stream().map(s -> s.path("path").asText()).toList(),
                "the denied stream never reached the destination");
        for (JsonNode s : seen) {
            assertEquals("h2", s.path("protocol").asText(), "the destination was spoken to in HTTP/2: " + s);
            assertEquals("Bearer " + SECRET, s.path("headers").path("authorization").asText());
            assertTrue(s.path("headers").path("connection").isMissingNode(), "no connection-specific headers: " + s);
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (audited.stream().filter(a -> a.request() != null).count() < 3 && System.nanoTime() < deadline) {
            EgressTopology.sleep(20);
        }
        assertEquals(List.of("GET /one 200 gh", "GET /admin/users 403 null", "GET /two 200 gh"), audited.stream()
                .filter(a -> a.request() != null)
                .map(a -> a.request().method() + " " + a.request().path() + " " + a.request().status() + " "
                        + a.request().credentialRef()).sorted(java.util.Comparator.comparing(x -> x.contains("/admin")
                        ? 1 : x.contains("/one") ? 0 : 2)).toList(),
                "each stream's request is audited: " + audited);

        var denied = curl("--http2", "https://api.test:9443/admin/", "-w", "\\n%{http_version} %{http_code}");
        assertTrue(denied.stdout().contains("denied by the sandbox's network policy (no-admin)"), denied.stdout());
        assertTrue(denied.stdout().strip().endsWith("2 403"), denied.stdout());
    }

    @Test
    void aStreamTheDestinationResetsIsResetForTheClientWithTheSameCode() throws Exception {
        var r = curl("--http2", "https://api.test:9443/reset", "-o", "/dev/null");
        assertTrue(r.stderr().contains("ENHANCE_YOUR_CALM"), "the destination's error code reaches the client: " + r.stderr());
        var after = curl("--http2", "https://api.test:9443/after", "-o", "/dev/null", "-w", "%{http_code}");
        assertEquals("200", after.stdout().strip(), after.stderr());
        assertEquals(List.of("/reset", "/after"), requests().stream().map(s -> s.path("path").asText()).toList());
    }

    @Test
    void aFailClosedCredentialAnswers503OnItsOwnStream() throws Exception {
        policies.put(SANDBOX, EgressTopology.sandboxAddress(), policy("""
                {"mode":"allow-all","egress":{"credentialRules":[
                 {"credentialRef":"missing","protocol":"https","domains":["api.test"],"httpMatch":{"pathPrefixes":["/closed/"]}},
                 {"credentialRef":"gh","protocol":"https","domains":["api.test"]}]}}"""));

        var r = curl("--http2", "https://api.test:9443/closed/x", "-o", "/dev/null",
                "-w", "%{http_version} %{http_code} %{num_connects}\\n", "https://api.test:9443/open", "-o", "/dev/null");
        assertEquals(List.of("2 503 1", "2 200 0"), r.stdout().strip().lines().toList(), r.stderr());
        JsonNode seen = only(requests());
        assertEquals("/open", seen.path("path").asText());
        assertEquals("Bearer " + SECRET, seen.path("headers").path("authorization").asText());
    }

    @Test
    void placeholdersInAnHttp2RequestsHeaderQueryAndBodyAreReplaced() throws Exception {
        material.put("gh", new EgressMaterial.Placeholders(List.of(new EgressMaterial.Replacement("__KEY__", SECRET,
                Set.of(PlaceholderSubstitutionLocation.values()))), later()));

        var r = curl("--http2", "https://api.test:9443/search?key=__KEY__", "-H", "X-Api-Key: k-__KEY__",
                "--data-binary", "{\"key\":\"__KEY__\"}", "-o", "/dev/null", "-w", "%{http_version} %{http_code}");
        assertEquals("2 200", r.stdout().strip(), r.stderr());
        JsonNode seen = only(requests());
        assertEquals("h2", seen.path("protocol").asText());
        assertEquals("POST", seen.path("method").asText());
        assertEquals("/search?key=" + SECRET, seen.path("path").asText());
        assertEquals("k-" + SECRET, seen.path("headers").path("x-api-key").asText());
        assertEquals("{\"key\":\"" + SECRET + "\"}", seen.path("body").asText());
    }

    @Test
    void h2cWithPriorKnowledgeIsInspectedToo() throws Exception {
        // A plain h2c flow carries no name: the rules pick it by port.
        policies.put(SANDBOX, EgressTopology.sandboxAddress(), policy("""
                {"mode":"allow-all","egress":{
                 "protocolRules":[{"protocol":"http","ports":[{"port":9080}],"http":{"paths":{"deniedPrefixes":["/admin"]}}}],
                 "credentialRules":[{"credentialRef":"gh","protocol":"http","ports":[{"port":9080}]}]}}"""));

        // Two streams on one connection (curl of this Debian release cannot reuse an h2c connection).
        String client = """
                import socket, h2.config, h2.connection, h2.events
                sock = socket.create_connection(("%s", 9080), timeout=30)
                conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
                conn.initiate_connection()
                for sid, path in ((1, "/one"), (3, "/admin")):
                    conn.send_headers(sid, [(":method", "GET"), (":path", path), (":scheme", "http"),
                                            (":authority", "%s:9080")], end_stream=True)
                sock.sendall(conn.data_to_send())
                status, ended = {}, set()
                while len(ended) < 2:
                    data = sock.recv(65536)
                    if not data:
                        break
                    for ev in conn.receive_data(data):
                        if isinstance(ev, h2.events.ResponseReceived):
                            status[ev.stream_id] = dict(ev.headers)[":status"]
                        elif isinstance(ev, h2.events.DataReceived):
                            conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                        elif isinstance(ev, h2.events.StreamEnded):
                            ended.add(ev.stream_id)
                    sock.sendall(conn.data_to_send())
                print(status.get(1), status.get(3), sorted(ended))
                """.formatted(UPSTREAM, UPSTREAM);
        var r = net.inSandbox(List.of(PYTHON, "-c", client), null, CLIENT_TIMEOUT);
        assertTrue(r.ok(), r.stderr());
        assertEquals("200 403 [1, 3]", r.stdout().strip(), "both streams answered on the one connection");
        JsonNode seen = only(requests());
        assertEquals("h2", seen.path("protocol").asText());
        assertEquals("/one", seen.path("path").asText());
        assertEquals("Bearer " + SECRET, seen.path("headers").path("authorization").asText());
    }

    @Test
    void aClientOfferingOnlyHttp11GetsHttp11UpstreamToo() throws Exception {
        var r = curl("--http1.1", "https://api.test:9443/old", "-o", "/dev/null", "-w", "%{http_version} %{http_code}");
        assertEquals("1.1 200", r.stdout().strip(), r.stderr());
        JsonNode seen = only(requests());
        assertEquals("http/1.1", seen.path("protocol").asText());
        assertEquals("Bearer " + SECRET, seen.path("headers").path("authorization").asText());
    }

    @Test
    void grpcThroughAnInspectedFlowGetsItsMetadataInjectedAndItsRepliesAndTrailers() throws Exception {
        policies.put(SANDBOX, EgressTopology.sandboxAddress(), policy("""
                {"mode":"allow-all","egress":{"credentialRules":[{"credentialRef":"gh","protocol":"grpc",
                 "domains":["api.test"],"ports":[{"port":9444}]}]}}"""));
        String client = """
                import grpc
                creds = grpc.ssl_channel_credentials(root_certificates=open("%s", "rb").read())
                ch = grpc.secure_channel("%s:9444", creds, options=[("grpc.ssl_target_name_override", "api.test"),
                                                                    ("grpc.default_authority", "api.test")])
                reply, call = ch.unary_unary("/test.Echo/Say").with_call(b"hello", metadata=(("x-client", "sandbox"),),
                                                                         timeout=30)
                print(reply.decode(), call.code().name, dict(call.trailing_metadata()).get("x-echo-done"))
                print(",".join(m.decode() for m in ch.unary_stream("/test.Echo/Count")(b"", timeout=30)))
                many = list(ch.unary_stream("/test.Echo/Many")(b"", timeout=30))
                print(len(many), sum(len(m) for m in many), many[-1][:4].decode())
                endless = ch.unary_stream("/test.Echo/Many")(b"1000000", timeout=30)
                next(endless), next(endless)
                endless.cancel()
                print(endless.code().name)
                try:
                    ch.unary_unary("/test.Echo/Fail")(b"", timeout=30)
                    print("no error")
                except grpc.RpcError as e:
                    print(e.code().name, e.details())
                """.formatted(dir.resolve("proxy-ca.crt"), UPSTREAM);
        var r = net.inSandbox(List.of(PYTHON, "-c", client), null, CLIENT_TIMEOUT);
        assertTrue(r.ok(), r.stderr());
        assertEquals(List.of("echo:hello OK yes", "1,2,3", "2000 2048000 1999", "CANCELLED", "PERMISSION_DENIED not you"),
                r.stdout().strip().lines().toList(),
                "replies, trailers, a stream larger than any window, a cancelled stream, an error status");
        List<JsonNode> seen = requests().stream().filter(s -> s.has("grpc")).toList();
        assertEquals(List.of("/test.Echo/Say", "/test.Echo/Count", "/test.Echo/Many", "/test.Echo/Many", "/test.Echo/Fail"),
                seen.stream().map(s -> s.path("grpc").asText()).toList());
        List<Long> ends = streamEnds();
        for (long deadline = System.nanoTime() + 20_000_000_000L; ends.size() < 2 && System.nanoTime() < deadline; ) {
            EgressTopology.sleep(50);
            ends = streamEnds();
        }
        assertEquals(2, ends.size(), "both streams ended at the server: the client's cancel (RST_STREAM) reached it");
        assertTrue(ends.stream().allMatch(n -> n < 1_000_000), "the cancelled stream stopped early: " + ends);
        for (JsonNode s : seen) {
            assertEquals("Bearer " + SECRET, s.path("metadata").path("authorization").asText(), s.toString());
        }
        assertEquals("sandbox", seen.get(0).path("metadata").path("x-client").asText());
    }

    @Test
    void aWebSocketUpgradeIsCheckedAndGivenItsCredentialThenRelayedAndMetered() throws Exception {
        String client = """
                import asyncio, socket, ssl, websockets
                async def main():
                    ctx = ssl.create_default_context(cafile="%s")
                    sock = socket.create_connection(("%s", 9445), timeout=30)
                    async with websockets.connect("wss://api.test:9445/echo", ssl=ctx, sock=sock, server_hostname="api.test",
                                                  extra_headers={"X-Client": "sandbox"}, max_size=None,
                                                  compression=None) as ws:
                        for message in ["one", "x" * 200000, "three"]:
                            await ws.send(message)
                            back = await ws.recv()
                            print(len(back), back == message)
                asyncio.run(main())
                """.formatted(dir.resolve("proxy-ca.crt"), UPSTREAM);
        long before = metered.get();
        var r = net.inSandbox(List.of(PYTHON, "-c", client), null, CLIENT_TIMEOUT);
        assertTrue(r.ok(), r.stderr());
        assertEquals(List.of("3 True", "200000 True", "5 True"), r.stdout().strip().lines().toList());
        JsonNode seen = only(requests());
        assertEquals("/echo", seen.path("ws").asText());
        assertEquals("Bearer " + SECRET, seen.path("headers").path("authorization").asText());
        assertEquals("sandbox", seen.path("headers").path("x-client").asText());
        assertTrue(metered.get() - before >= 400_000, "the relayed frames were metered both ways: " + (metered.get() - before));

        var denied = net.inSandbox(List.of(PYTHON, "-c", client.replace("/echo", "/admin/echo")), null, CLIENT_TIMEOUT);
        assertTrue(!denied.ok() && denied.stderr().contains("403"), "a denied upgrade gets 403: " + denied.stderr());
        assertEquals(1, requests().size(), "the denied upgrade never reached the server");
    }

    // ---- helpers

    private static Instant later() {
        return Instant.now().plusSeconds(300);
    }

    private static HostCommand.Result curl(String... args) throws IOException {
        var argv = new ArrayList<>(List.of("curl", "-sS", "--cacert", dir.resolve("proxy-ca.crt").toString(),
                "--resolve", "api.test:9443:" + UPSTREAM));
        argv.addAll(List.of(args));
        return net.inSandbox(argv, null, CLIENT_TIMEOUT);
    }

    private static Path log() {
        return dir.resolve("protocols.log");
    }

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

    /** How many messages each of the server's finished {@code Many} streams sent. */
    private static List<Long> streamEnds() throws IOException {
        return requests().stream().filter(s -> s.has("grpc-done")).map(s -> s.path("sent").asLong()).toList();
    }

    private static JsonNode only(List<JsonNode> requests) {
        assertEquals(1, requests.size(), "requests: " + requests);
        return requests.get(0);
    }

    private static EgressPolicy policy(String json) throws IOException {
        return EgressPolicy.compile(Json.mapper().readValue(json, SandboxNetworkPolicy.class));
    }
}
