package ai.sandbox0.node.egress;

import static ai.sandbox0.node.egress.EgressTopology.HOST_UPSTREAM_SIDE;
import static ai.sandbox0.node.egress.EgressTopology.METADATA;
import static ai.sandbox0.node.egress.EgressTopology.SANDBOX_HOST_SIDE;
import static ai.sandbox0.node.egress.EgressTopology.UPSTREAM;
import static ai.sandbox0.node.egress.EgressTopology.UPSTREAM_OTHER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.sandbox0.api.Json;
import ai.sandbox0.api.network.SandboxNetworkPolicy;
import ai.sandbox0.api.network.TrafficRuleAppProtocol;
import ai.sandbox0.node.runtime.HostCommand;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The egress proxy on the real kernel: a sandbox namespace whose TCP is redirected to the proxy by nftables,
 * clients (curl, python) inside it, servers in an upstream namespace that log what reached them.
 */
class EgressProxyTest {

    private static final String SANDBOX = "sbx-egress-1";
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(60);

    private static EgressTopology net;
    private static EgressProxy proxy;
    private static final EgressPolicies policies = new EgressPolicies();
    private static final ConcurrentLinkedQueue<EgressRecord> audit = new ConcurrentLinkedQueue<>();
    private static final AtomicLong meteredOut = new AtomicLong();
    private static final AtomicLong meteredIn = new AtomicLong();
    private static final AtomicBoolean overQuota = new AtomicBoolean();
    private static final AtomicReference<NameRecords> names = new AtomicReference<>(NameRecords.NONE);

    @BeforeAll
    static void up() throws IOException {
        var platform = new PlatformRules(PlatformRules.DEFAULT_PRIVATE_RANGES, EgressTopology.POOL);
        var hooks = EgressProxy.Hooks.NONE
                .withAudit(audit::add)
                .withMeter((id, out, in) -> {
                    if (id.equals(SANDBOX)) {
                        meteredOut.addAndGet(out);
                        meteredIn.addAndGet(in);
                    }
                })
                .withAdmission(id -> !overQuota.get())
                .withCredentials((id, ref) -> ref.equals("corp-proxy")
                        ? java.util.Optional.of(new EgressMaterial.UsernamePassword("alice", "proxy-pass-7",
                                java.time.Instant.now().plusSeconds(60)))
                        : java.util.Optional.empty());
        proxy = new EgressProxy(0, policies, platform, (sbx, ip) -> names.get().nameOf(sbx, ip), hooks);
        net = EgressTopology.start(proxy.port());
    }

    @AfterAll
    static void down() throws IOException {
        try {
            if (proxy != null) {
                proxy.close();
            }
        } finally {
            if (net != null) {
                net.close();
            }
        }
    }

    @BeforeEach
    void reset() throws IOException {
        policies.put(SANDBOX, EgressTopology.sandboxAddress(), EgressPolicy.ALLOW_ALL);
        overQuota.set(false);
        names.set(NameRecords.NONE);
        waitFor(() -> proxy.openConnections(sandboxAddress()) == 0, "connections of the previous test to end");
        audit.clear();
        meteredOut.set(0);
        meteredIn.set(0);
        java.nio.file.Files.writeString(net.log(), "");
    }

    @Test
    void anAllowedDownloadArrivesByteExactAndIsAuditedAndMetered() throws Exception {
        int size = 8 * 1024 * 1024;
        var r = net.inSandbox(List.of("sh", "-c", "curl -sS --fail http://" + UPSTREAM + "/bytes/" + size + " | sha256sum"),
                null, CLIENT_TIMEOUT);
        assertTrue(r.ok(), r.stderr());
        assertEquals(sha256(pattern(size)), r.stdout().split(" ")[0]);

        EgressRecord rec = awaitRecord(x -> x.port() == 80);
        assertTrue(rec.allowed());
        assertEquals("mode allow-all", rec.reason());
        assertEquals(SANDBOX, rec.sandboxId());
        assertEquals(InetAddress.getByName(UPSTREAM), rec.address());
        assertEquals(UPSTREAM, rec.host(), "the Host header names the flow");
        assertEquals(TrafficRuleAppProtocol.HTTP, rec.app());
        assertTrue(rec.bytesIn() > size && rec.bytesIn() < size + 1024, "in: " + rec.bytesIn());
        assertTrue(rec.bytesOut() > 20 && rec.bytesOut() < 1024, "out: " + rec.bytesOut());
        assertEquals(rec.bytesIn(), meteredIn.get(), "the meter saw every byte the audit did");
        assertEquals(rec.bytesOut(), meteredOut.get());
    }

    @Test
    void anUploadWithHalfCloseGetsTheServersAnswerAfterItsEnd() throws Exception {
        int size = 6 * 1024 * 1024 + 17;
        String client = """
                import hashlib, socket
                data = bytes((i * 7) %% 256 for i in range(%d))
                s = socket.create_connection(("%s", 7000))
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
                reply = b""
                while True:
                    b = s.recv(65536)
                    if not b:
                        break
                    reply += b
                print(reply.decode().strip(), hashlib.sha256(data).hexdigest())
                """.formatted(size, UPSTREAM);
        var r = net.inSandbox(List.of("python3", "-c", client), null, CLIENT_TIMEOUT);
        assertTrue(r.ok(), r.stderr());
        String[] w = r.stdout().strip().split(" ");
        assertEquals(Integer.toString(size), w[0], "the server received every byte before the end of stream: "
                + r.stdout() + " " + net.upstreamSaw() + " " + audit + " "
                + java.nio.file.Files.readString(net.dir().resolve("upstream.out")));
        assertEquals(w[2], w[1], "byte-exact");

        EgressRecord rec = awaitRecord(x -> x.port() == 7000);
        assertTrue(rec.allowed());
        assertEquals(size, rec.bytesOut());
        assertEquals(w[0].length() + 1 + 64 + 1, rec.bytesIn());
    }

    @Test
    void aDownloadAfterTheClientEndedItsRequestArrivesWhole() throws Exception {
        int size = 32 * 1024 * 1024;
        // The client ends its side at once and reads late, so the answer backs up in the proxy.
        String client = """
                import hashlib, socket, time
                s = socket.create_connection(("%s", 7003))
                s.sendall(b"%d\\n")
                s.shutdown(socket.SHUT_WR)
                time.sleep(0.5)
                h, n = hashlib.sha256(), 0
                while True:
                    b = s.recv(1 << 20)
                    if not b:
                        break
                    h.update(b)
                    n += len(b)
                print(n, h.hexdigest())
                """.formatted(UPSTREAM, size);
        var r = net.inSandbox(List.of("python3", "-c", client), null, CLIENT_TIMEOUT);
        assertTrue(r.ok(), r.stderr());
        byte[] block = new byte[256 * 4096];
        for (int i = 0; i < block.length; i++) {
            block[i] = (byte) i;
        }
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (int left = size; left > 0; left -= block.length) {
            sha.update(block, 0, Math.min(left, block.length));
        }
        assertEquals(size + " " + HexFormat.of().formatHex(sha.digest()), r.stdout().strip(), "every byte, in order");
        EgressRecord rec = awaitRecord(x -> x.port() == 7003);
        assertEquals(size, rec.bytesIn());
    }

    @Test
    void aDomainDeniedBySniIsCutWhileAnotherOnTheSameAddressWorks() throws Exception {
        policies.put(SANDBOX, EgressTopology.sandboxAddress(), policy("""
                {"mode":"allow-all","egress":{"trafficRules":[
                  {"name":"no-blocked","action":"deny","domains":["*.blocked.example"]}]}}"""));
        var ok = curl("https://ok.example/", "--resolve", "ok.example:443:" + UPSTREAM, "-k");
        assertTrue(ok.ok(), ok.stderr());
        assertEquals("tls ok.example ok.example", ok.stdout());

        var denied = curl("https://api.blocked.example/", "--resolve", "api.blocked.example:443:" + UPSTREAM, "-k");
        assertFalse(denied.ok(), "a denied domain never answers");
        EgressRecord rec = awaitRecord(x -> "api.blocked.example".equals(x.host()));
        assertFalse(rec.allowed());
        assertEquals("no-blocked", rec.reason());
        assertEquals(TrafficRuleAppProtocol.TLS, rec.app());
        assertEquals(0, rec.bytesIn());
        assertTrue(net.upstreamSaw().stream().noneMatch(l -> l.contains("blocked")), net.upstreamSaw().toString());
    }

    @Test
    void aDomainDeniedByHostIsCutWhileAnotherOnTheSameAddressWorks() throws Exception {
        policies.put(SANDBOX, EgressTopology.sandboxAddress(), policy("""
                {"mode":"allow-all","egress":{"deniedDomains":["blocked.example"]}}"""));
        var ok = curl("http://" + UPSTREAM + "/", "-H", "Host: ok.example");
        assertTrue(ok.ok(), ok.stderr());
        assertEquals("hello ok.example", ok.stdout());
        var denied = curl("http://" + UPSTREAM + "/", "-H", "Host: BLOCKED.example.");
        assertFalse(denied.ok());
        assertEquals("deniedDomains", awaitRecord(x -> !x.allowed()).reason());
        assertEquals(List.of("http " + UPSTREAM + " - ok.example /"), net.upstreamSaw());
    }

    @Test
    void aDeniedCidrIsCutWhileTheRestWorks() throws Exception {
        policies.put(SANDBOX, EgressTopology.sandboxAddress(), policy("""
                {"mode":"allow-all","egress":{"trafficRules":[
                  {"name":"not-3","action":"deny","cidrs":["%s/32"]}]}}""".formatted(UPSTREAM_OTHER)));
        assertFalse(curl("http://" + UPSTREAM_OTHER + "/").ok());
        assertTrue(curl("http://" + UPSTREAM + "/").ok());
        assertEquals("not-3", awaitRecord(x -> !x.allowed()).reason());
        assertTrue(net.upstreamSaw().stream().noneMatch(l -> l.contains(UPSTREAM_OTHER)), net.upstreamSaw().toString());
    }

    @Test
    void platformDestinationsNeverGetAConnectionWhateverThePolicy() throws Exception {
        try (var hostListener = new ServerSocket()) {
            hostListener.bind(new InetSocketAddress(HOST_UPSTREAM_SIDE, 0));
            hostListener.setSoTimeout(300);
            assertFalse(curl("http://" + METADATA + "/latest/meta-data/").ok(), "the metadata address");
            assertFalse(curl("http://" + HOST_UPSTREAM_SIDE + ":" + hostListener.getLocalPort() + "/").ok(),
                    "the host's own address on another interface");
            assertFalse(curl("http://" + SANDBOX_HOST_SIDE + ":" + proxy.port() + "/").ok(), "the proxy itself");
            try {
                hostListener.accept().close();
                throw new AssertionError("the host listener got a connection");
            } catch (SocketTimeoutException expected) {
                // nothing came
            }
        }
        assertTrue(net.upstreamSaw().isEmpty(), net.upstreamSaw().toString());
        EgressRecord metadata = awaitRecord(x -> x.address().getHostAddress().equals(METADATA));
        assertFalse(metadata.allowed());
        assertEquals("platform", metadata.reason());
        assertEquals("platform", awaitRecord(x -> x.address().getHostAddress().equals(HOST_UPSTREAM_SIDE)).reason());
    }

    @Test
    void aLiveSwitchToBlockAllCutsAnOpenConnectionWithinASecond() throws Exception {
        Process client = net.startInSandbox(List.of("python3", "-u", "-c", """
                import socket, sys, time
                s = socket.create_connection(("%s", 7002))
                s.sendall(b"ping\\n")
                print(s.recv(100).decode().strip(), flush=True)
                sys.stdin.readline()
                start = time.monotonic()
                s.settimeout(5)
                try:
                    while True:
                        s.sendall(b"again\\n")
                        if not s.recv(100):
                            break
                        time.sleep(0.05)
                except (ConnectionResetError, BrokenPipeError):
                    pass
                except socket.timeout:
                    print("alive", flush=True)
                    sys.exit()
                print("cut %%.3f" %% (time.monotonic() - start), flush=True)
                """.formatted(UPSTREAM)));
        try (var out = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
                OutputStream in = client.getOutputStream()) {
            assertEquals("ping", out.readLine());
            assertEquals(1, proxy.openConnections(sandboxAddress()));
            policies.put(SANDBOX, sandboxAddress(), policy("{\"mode\":\"block-all\"}"));
            in.write("go\n".getBytes(StandardCharsets.UTF_8));
            in.flush();
            String line = out.readLine();
            assertTrue(line != null && line.startsWith("cut "), "the open connection was cut: " + line);
            assertTrue(Double.parseDouble(line.substring(4)) < 1.0, line);
        } finally {
            client.destroyForcibly();
        }
        EgressRecord rec = awaitRecord(x -> x.port() == 7002);
        assertFalse(rec.allowed());
        assertEquals("mode block-all", rec.reason());
        assertTrue(rec.bytesOut() >= 5 && rec.bytesIn() >= 5, "what it carried before the cut is counted: " + rec);
        assertFalse(curl("http://" + UPSTREAM + "/").ok(), "and new connections are refused");
    }

    @Test
    void removingTheSandboxClosesItsConnections() throws Exception {
        Process client = net.startInSandbox(List.of("python3", "-u", "-c", """
                import socket, sys
                s = socket.create_connection(("%s", 7002))
                s.sendall(b"ping\\n")
                print(s.recv(100).decode().strip(), flush=True)
                s.settimeout(5)
                try:
                    print("eof" if not s.recv(100) else "data", flush=True)
                except ConnectionResetError:
                    print("reset", flush=True)
                except socket.timeout:
                    print("alive", flush=True)
                """.formatted(UPSTREAM)));
        try (var out = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8))) {
            assertEquals("ping", out.readLine());
            policies.remove(sandboxAddress());
            assertEquals("reset", out.readLine());
        } finally {
            client.destroyForcibly();
        }
        assertEquals("sandbox removed", awaitRecord(x -> x.port() == 7002).reason());
    }

    @Test
    void aHundredConcurrentConnectionsAllSucceed() throws Exception {
        int n = 100;
        int size = 200_000;
        String client = """
                import hashlib, socket, threading
                N, SIZE = %d, %d
                barrier = threading.Barrier(N, timeout=30)
                results = []
                def one():
                    s = socket.create_connection(("%s", 80), timeout=30)
                    barrier.wait()
                    s.sendall(b"GET /bytes/%%d HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n" %% SIZE)
                    data = b""
                    while True:
                        b = s.recv(65536)
                        if not b:
                            break
                        data += b
                    body = data.split(b"\\r\\n\\r\\n", 1)[1]
                    results.append(hashlib.sha256(body).hexdigest())
                ts = [threading.Thread(target=one) for _ in range(N)]
                [t.start() for t in ts]
                [t.join() for t in ts]
                print(len(results), len(set(results)), results[0] if results else "")
                """.formatted(n, size, UPSTREAM);
        var r = net.inSandbox(List.of("python3", "-c", client), null, CLIENT_TIMEOUT);
        assertTrue(r.ok(), r.stderr());
        assertEquals(n + " 1 " + sha256(pattern(size)), r.stdout().strip());
        waitFor(() -> audit.size() >= n, "a record per connection");
        assertEquals(n, audit.stream().filter(x -> x.allowed() && x.bytesIn() > size).count());
    }

    @Test
    void theResolversNameAppliesToAFlowWithoutOneButNeverOverridesSni() throws Exception {
        InetAddress upstream = InetAddress.getByName(UPSTREAM);
        InetAddress sandbox = sandboxAddress();
        names.set((sbx, ip) -> sbx.equals(sandbox) && ip.equals(upstream)
                ? Optional.of("named.example") : Optional.empty());
        policies.put(SANDBOX, sandboxAddress(), policy("""
                {"mode":"allow-all","egress":{"trafficRules":[
                  {"name":"no-named","action":"deny","domains":["named.example"]}]}}"""));
        var raw = net.inSandbox(List.of("python3", "-c", """
                import socket
                s = socket.create_connection(("%s", 7002))
                s.sendall(b"hello\\n")
                try:
                    print(s.recv(100) or b"eof")
                except ConnectionResetError:
                    print("reset")
                """.formatted(UPSTREAM)), null, CLIENT_TIMEOUT);
        assertEquals("reset", raw.stdout().strip(), "an IP-only flow is named by the resolver's answer");
        EgressRecord rec = awaitRecord(x -> x.port() == 7002);
        assertEquals("named.example", rec.host());
        assertEquals("no-named", rec.reason());

        var sni = curl("https://ok.example/", "--resolve", "ok.example:443:" + UPSTREAM, "-k");
        assertTrue(sni.ok(), "the flow's own name wins: " + sni.stderr());
    }

    @Test
    void aServerThatSpeaksFirstIsReachedAfterTheClientStaysSilent() throws Exception {
        String client = """
                import socket
                s = socket.create_connection(("%s", 7001))
                print(s.recv(100).decode().strip())
                s.sendall(b"quit\\n")
                print(s.recv(100).decode().strip())
                """.formatted(UPSTREAM);
        for (String json : List.of("{\"mode\":\"allow-all\"}", """
                {"mode":"block-all","egress":{"trafficRules":[{"action":"allow","domains":["nowhere.example"]},
                  {"name":"upstream","action":"allow","cidrs":["198.18.77.0/24"]}]}}""")) {
            policies.put(SANDBOX, sandboxAddress(), policy(json));
            var r = net.inSandbox(List.of("python3", "-c", client), null, CLIENT_TIMEOUT);
            assertTrue(r.ok(), r.stderr());
            assertEquals("220 banner\nquit", r.stdout().strip(), json);
        }
    }

    @Test
    void overQuotaNewConnectionsAreRefusedAndAudited() throws Exception {
        overQuota.set(true);
        assertFalse(curl("http://" + UPSTREAM + "/").ok());
        EgressRecord rec = awaitRecord(x -> true);
        assertFalse(rec.allowed());
        assertEquals("quota", rec.reason());
        assertTrue(net.upstreamSaw().isEmpty(), net.upstreamSaw().toString());
    }

    @Test
    void aPolicysSocks5UpstreamCarriesTheFlowByName() throws Exception {
        policies.put(SANDBOX, sandboxAddress(), policy("""
                {"mode":"allow-all","egress":{"proxy":{"type":"socks5","address":"%s:1080"}}}""".formatted(UPSTREAM)));
        // Dialled at .3, named ok.example: the proxy is asked for the name.
        var named = curl("https://ok.example/", "--resolve", "ok.example:443:" + UPSTREAM_OTHER, "-k");
        assertTrue(named.ok(), named.stderr());
        assertEquals("tls ok.example ok.example", named.stdout());
        var r = net.inSandbox(List.of("python3", "-c", """
                import socket
                s = socket.create_connection(("%s", 7002))
                s.sendall(b"\\x00\\x01raw")
                print(s.recv(100))
                """.formatted(UPSTREAM)), null, CLIENT_TIMEOUT);
        assertEquals("b'\\x00\\x01raw'", r.stdout().strip(), r.stderr());
        List<String> saw = net.upstreamSaw();
        assertTrue(saw.contains("socks domain ok.example 443"), saw.toString());
        assertTrue(saw.contains("socks ipv4 " + UPSTREAM + " 7002"), saw.toString());
    }

    @Test
    void aSocks5UpstreamGetsTheLoginOfItsBindingAndAFlowWithoutOneNeverLeaves() throws Exception {
        policies.put(SANDBOX, sandboxAddress(), policy("""
                {"mode":"allow-all","egress":{"proxy":{"type":"socks5","address":"%s:1080","credentialRef":"corp-proxy"}}}"""
                .formatted(UPSTREAM)));
        var echoed = net.inSandbox(List.of("python3", "-c", """
                import socket
                s = socket.create_connection(("%s", 7002))
                s.sendall(b"via-login")
                print(s.recv(100))
                """.formatted(UPSTREAM)), null, CLIENT_TIMEOUT);
        assertEquals("b'via-login'", echoed.stdout().strip(), echoed.stderr());
        assertTrue(net.upstreamSaw().contains("socks-auth alice proxy-pass-7"), net.upstreamSaw().toString());
        // A login the server cannot give: the flow is cut, and the proxy is never asked.
        policies.put(SANDBOX, sandboxAddress(), policy("""
                {"mode":"allow-all","egress":{"proxy":{"type":"socks5","address":"%s:1080","credentialRef":"missing"}}}"""
                .formatted(UPSTREAM)));
        int before = net.upstreamSaw().size();
        var refused = net.inSandbox(List.of("python3", "-c", """
                import socket
                s = socket.create_connection(("%s", 7002))
                s.sendall(b"x")
                try:
                    print(s.recv(100))
                except OSError as e:
                    print(type(e).__name__)
                """.formatted(UPSTREAM)), null, CLIENT_TIMEOUT);
        assertTrue(refused.stdout().contains("ConnectionResetError") || refused.stdout().strip().equals("b''"),
                refused.stdout() + refused.stderr());
        EgressRecord rec = awaitRecord(x -> "proxy credentials unavailable".equals(x.reason()));
        assertFalse(rec.allowed());
        assertEquals(before, net.upstreamSaw().size(), net.upstreamSaw().toString());
    }

    // ---- helpers

    private static HostCommand.Result curl(String url, String... args) throws IOException {
        var argv = new ArrayList<>(List.of("curl", "-sS", "--fail", "--max-time", "10"));
        argv.addAll(List.of(args));
        argv.add(url);
        return net.inSandbox(argv, null, CLIENT_TIMEOUT);
    }

    private static EgressPolicy policy(String json) throws IOException {
        return EgressPolicy.compile(Json.mapper().readValue(json, SandboxNetworkPolicy.class));
    }

    private static InetAddress sandboxAddress() throws IOException {
        return EgressTopology.sandboxAddress();
    }

    private static EgressRecord awaitRecord(Predicate<EgressRecord> which) {
        return EgressTopology.awaitRecord(audit, which);
    }

    private interface Check {
        boolean ok() throws Exception;
    }

    private static void waitFor(Check check, String what) {
        long deadline = System.nanoTime() + 5_000_000_000L;
        try {
            while (!check.ok()) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("timed out waiting for " + what);
                }
                EgressTopology.sleep(10);
            }
        } catch (AssertionError e) {
            throw e;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static byte[] pattern(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) ((i % (251 * 4096)) % 251);
        }
        return b;
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
