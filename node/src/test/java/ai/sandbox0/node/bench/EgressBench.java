package ai.sandbox0.node.bench;

import ai.sandbox0.api.Json;
import ai.sandbox0.api.network.SandboxNetworkPolicy;
import ai.sandbox0.node.egress.EgressCredentials;
import ai.sandbox0.node.egress.EgressMaterial;
import ai.sandbox0.node.egress.EgressPolicies;
import ai.sandbox0.node.egress.EgressPolicy;
import ai.sandbox0.node.egress.EgressProxy;
import ai.sandbox0.node.egress.EgressTopology;
import ai.sandbox0.node.egress.MitmAuthority;
import ai.sandbox0.node.egress.NameRecords;
import ai.sandbox0.node.egress.PlatformRules;
import ai.sandbox0.node.runtime.HostCommand;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The egress proxy's benchmark (run by bench/egress), each row through the proxy and directly (the host
 * routing the same sandbox namespace to the same server) in the same run: passthrough request latency on a
 * reused connection, a new connection, one large download; then inspected flows under a credential rule:
 * plain HTTP with a header injected and HTTPS terminated and re-originated, on a reused connection and on a
 * new one (the leaf already cached). Prints a Markdown table with each row's target.
 */
public final class EgressBench {

    private static final int ROUND_TRIPS = Integer.getInteger("bench.roundtrips", 5000);
    private static final int CONNECTIONS = Integer.getInteger("bench.connections", 500);
    private static final int REQUESTS = Integer.getInteger("bench.requests", 3000);
    private static final int TLS_CONNECTIONS = Integer.getInteger("bench.tlsconnections", 300);
    private static final long DOWNLOAD = Long.getLong("bench.download", 1L << 30);
    private static final String TOKEN = "bench-token-5c2a";

    private static final String CLIENT = """
            import socket, sys, time
            mode, host, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
            def pct(ts):
                ts.sort()
                return "%.1f %.1f" % (ts[len(ts) // 2] * 1e6, ts[int(len(ts) * 0.99)] * 1e6)
            if mode == "rt":
                s = socket.create_connection((host, port))
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                msg, ts = b"x" * 64, []
                for i in range(n + 500):
                    t = time.perf_counter()
                    s.sendall(msg)
                    got = 0
                    while got < 64:
                        got += len(s.recv(64 - got))
                    if i >= 500:
                        ts.append(time.perf_counter() - t)
                print(pct(ts))
            elif mode == "conn":
                ts = []
                for i in range(n + 50):
                    t = time.perf_counter()
                    s = socket.create_connection((host, port))
                    s.sendall(b"x" * 64)
                    got = 0
                    while got < 64:
                        got += len(s.recv(64 - got))
                    s.close()
                    if i >= 50:
                        ts.append(time.perf_counter() - t)
                print(pct(ts))
            else:
                s = socket.create_connection((host, port))
                s.sendall(b"%d\\n" % n)
                buf = bytearray(1 << 20)
                view, got, t = memoryview(buf), 0, time.perf_counter()
                while True:
                    k = s.recv_into(view)
                    if not k:
                        break
                    got += k
                took = time.perf_counter() - t
                assert got == n, got
                print("%.1f" % (n / took / 1e6))
            """;

    /**
     * GET requests to api.test: {@code http} and {@code https} on one kept-alive connection, {@code tls-conn} a
     * new TLS connection each. Prints p50 and p99 (µs) and whether the upstream saw the injected token.
     */
    private static final String HTTP_CLIENT = """
            import http.client, socket, ssl, sys, time
            mode, host, port, n, ca, token = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
            ctx = ssl.create_default_context(cafile=ca)
            def connect():
                s = socket.create_connection((host, port))
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                if mode != "http":
                    s = ctx.wrap_socket(s, server_hostname="api.test")
                c = http.client.HTTPConnection("api.test", port)
                c.sock = s
                return c
            def get(c):
                c.request("GET", "/bench")
                r = c.getresponse()
                body = r.read()
                assert r.status == 200, r.status
                return body
            ts, warm, body = [], 50, b""
            c = None if mode == "tls-conn" else connect()
            for i in range(n + warm):
                t = time.perf_counter()
                if mode == "tls-conn":
                    c = connect()
                body = get(c)
                if mode == "tls-conn":
                    c.close()
                if i >= warm:
                    ts.append(time.perf_counter() - t)
            ts.sort()
            print("%.1f %.1f %s" % (ts[len(ts) // 2] * 1e6, ts[int(len(ts) * 0.99)] * 1e6, token.encode() in body))
            """;

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("s0-egress-bench-");
        Process inspected = null;
        try {
            EgressTopology.testCertificates(dir);
            MitmAuthority authority = MitmAuthority.loadOrCreate(dir.resolve("ca"));
            // One bundle for both paths: the upstream's CA (direct) and the proxy's (terminated).
            Files.writeString(dir.resolve("clients-ca.crt"),
                    Files.readString(dir.resolve("test-ca.crt")) + authority.certificatePem());
            EgressCredentials credentials = (sandbox, ref) -> Optional.of(new EgressMaterial.Headers(
                    Map.of("Authorization", "Bearer " + TOKEN), Instant.now().plus(Duration.ofDays(1))));
            var policies = new EgressPolicies();
            var platform = new PlatformRules(PlatformRules.DEFAULT_PRIVATE_RANGES, EgressTopology.POOL);
            try (var proxy = new EgressProxy(0, policies, platform, NameRecords.NONE,
                    EgressProxy.Hooks.NONE.withCredentials(credentials),
                    new EgressProxy.Inspection(authority,
                            EgressProxy.Inspection.readCertificates(dir.resolve("test-ca.crt"))));
                    var net = EgressTopology.start(proxy.port(), true)) {
                inspected = startInspected(net, dir);
                var table = new Table();
                passthrough(net, policies, table);
                inspectedRows(net, policies, dir, table);
                table.print();
            }
        } finally {
            if (inspected != null) {
                inspected.destroyForcibly().waitFor();
            }
            HostCommand.run(List.of("rm", "-rf", dir.toString()));
        }
    }

    private static void passthrough(EgressTopology net, EgressPolicies policies, Table table) throws Exception {
        policies.put("bench", EgressTopology.sandboxAddress(), EgressPolicy.ALLOW_ALL);
        String via = EgressTopology.UPSTREAM_ADDRESS;
        String direct = EgressTopology.DIRECT;
        // Warm-up: the proxy's first connections pay for class loading and JIT.
        run(net, "conn", via, 7002, 2000);
        run(net, "rt", via, 7002, 20000);

        String[] rtDirect = run(net, "rt", direct, 7002, ROUND_TRIPS).split(" ");
        String[] rtProxy = run(net, "rt", via, 7002, ROUND_TRIPS).split(" ");
        String[] connDirect = run(net, "conn", direct, 7002, CONNECTIONS).split(" ");
        String[] connProxy = run(net, "conn", via, 7002, CONNECTIONS).split(" ");
        double bestDirect = 0;
        double bestProxy = 0;
        for (int i = 0; i < 5; i++) { // alternated, best of each: other load on the host hits both alike
            bestDirect = Math.max(bestDirect, Double.parseDouble(run(net, "get", direct, 7003, DOWNLOAD)));
            bestProxy = Math.max(bestProxy, Double.parseDouble(run(net, "get", via, 7003, DOWNLOAD)));
        }
        String p = "passthrough: ";
        table.latency(p + "64 B request/response, reused connection, p50", rtDirect[0], rtProxy[0], "≤ 300 µs added");
        table.latency(p + "64 B request/response, reused connection, p99", rtDirect[1], rtProxy[1], "");
        table.latency(p + "new connection + 64 B request/response, p50", connDirect[0], connProxy[0], "");
        table.latency(p + "new connection + 64 B request/response, p99", connDirect[1], connProxy[1], "");
        table.row("passthrough: %d MiB download, best of 5 (MB/s)".formatted(DOWNLOAD >> 20),
                "%.0f".formatted(bestDirect), "%.0f".formatted(bestProxy),
                "%.0f %% of direct".formatted(100 * bestProxy / bestDirect), "≥ 80 % of direct");
    }

    private static void inspectedRows(EgressTopology net, EgressPolicies policies, Path dir, Table table)
            throws Exception {
        policies.put("bench", EgressTopology.sandboxAddress(), EgressPolicy.compile(Json.mapper().readValue("""
                {"mode":"allow-all","egress":{"credentialRules":[
                 {"credentialRef":"api","protocol":"http","domains":["api.test"]},
                 {"credentialRef":"api","protocol":"https","tlsMode":"terminate-reoriginate","domains":["api.test"]}]}}""",
                SandboxNetworkPolicy.class)));
        String via = EgressTopology.UPSTREAM_ADDRESS;
        String direct = EgressTopology.DIRECT;
        // Warm-up: JIT of the inspection path, and the leaf for api.test signed and cached.
        http(net, dir, "http", via, 8080, 3000, true);
        http(net, dir, "https", via, 8443, 3000, true);
        http(net, dir, "tls-conn", via, 8443, 200, true);

        String[] httpDirect = http(net, dir, "http", direct, 8080, REQUESTS, false);
        String[] httpProxy = http(net, dir, "http", via, 8080, REQUESTS, true);
        String[] httpsDirect = http(net, dir, "https", direct, 8443, REQUESTS, false);
        String[] httpsProxy = http(net, dir, "https", via, 8443, REQUESTS, true);
        String[] tlsDirect = http(net, dir, "tls-conn", direct, 8443, TLS_CONNECTIONS, false);
        String[] tlsProxy = http(net, dir, "tls-conn", via, 8443, TLS_CONNECTIONS, true);
        String h = "HTTP, header injected: ";
        table.latency(h + "GET, reused connection, p50", httpDirect[0], httpProxy[0], "");
        table.latency(h + "GET, reused connection, p99", httpDirect[1], httpProxy[1], "");
        String s = "HTTPS terminated and re-originated, header injected: ";
        table.latency(s + "GET, reused connection, p50", httpsDirect[0], httpsProxy[0], "≤ 1000 µs added");
        table.latency(s + "GET, reused connection, p99", httpsDirect[1], httpsProxy[1], "");
        table.latency(s + "new connection (leaf cached) + GET, p50", tlsDirect[0], tlsProxy[0], "");
        table.latency(s + "new connection (leaf cached) + GET, p99", tlsDirect[1], tlsProxy[1], "");
    }

    /** The rows, printed once all are measured (so nothing interleaves with a run's output). */
    private static final class Table {

        private final StringBuilder rows = new StringBuilder();

        void latency(String what, String direct, String proxied, String target) {
            double d = Double.parseDouble(direct);
            double p = Double.parseDouble(proxied);
            row(what + " (µs)", "%.1f".formatted(d), "%.1f".formatted(p), "%+.1f".formatted(p - d),
                    target.isEmpty() ? "—" : target);
        }

        void row(String what, String direct, String proxied, String added, String target) {
            rows.append("| %s | %s | %s | %s | %s |%n".formatted(what, direct, proxied, added, target));
        }

        void print() {
            System.out.println("| egress | direct (floor) | through the proxy | added | target |");
            System.out.println("|---|---|---|---|---|");
            System.out.print(rows);
        }
    }

    private static String run(EgressTopology net, String mode, String host, int port, long n) throws Exception {
        return python(net, List.of("python3", "-c", CLIENT, mode, host, Integer.toString(port), Long.toString(n)),
                mode + " " + host);
    }

    /** p50 and p99 of {@code mode}'s requests; fails when the upstream did (not) see the injected header. */
    private static String[] http(EgressTopology net, Path dir, String mode, String host, int port, int n,
            boolean injected) throws Exception {
        String[] out = python(net, List.of("python3", "-c", HTTP_CLIENT, mode, host, Integer.toString(port),
                Integer.toString(n), dir.resolve("clients-ca.crt").toString(), TOKEN), mode + " " + host).split(" ");
        if (Boolean.parseBoolean(out[2].toLowerCase()) != injected) {
            throw new IllegalStateException(mode + " " + host + ": the header was " + (injected ? "not " : "")
                    + "injected");
        }
        return out;
    }

    private static String python(EgressTopology net, List<String> argv, String what) throws Exception {
        var r = net.inSandbox(argv, null, Duration.ofMinutes(5));
        if (!r.ok()) {
            throw new IllegalStateException(what + ": " + r.stderr());
        }
        return r.stdout().strip();
    }

    /** The inspection tests' upstreams (8080 HTTP, 8443 HTTPS for api.test), answering each request with what it got. */
    private static Process startInspected(EgressTopology net, Path dir) throws IOException, InterruptedException {
        Path script = dir.resolve("inspected.py");
        try (InputStream in = EgressBench.class.getResourceAsStream("/egress/inspected.py")) {
            Files.copy(in, script);
        }
        Path log = dir.resolve("inspected.log");
        Process p = EgressTopology.startInUpstream(List.of("python3", script.toString(), log.toString(),
                dir.resolve("srv.crt").toString(), dir.resolve("srv.key").toString(),
                dir.resolve("bad.crt").toString(), dir.resolve("bad.key").toString()), dir.resolve("inspected.out"));
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (!Files.exists(log) || !Files.readString(log).contains("ready")) {
            if (System.nanoTime() > deadline || !p.isAlive()) {
                p.destroyForcibly();
                throw new IOException("inspected upstreams did not come up: " + Files.readString(dir.resolve("inspected.out")));
            }
            Thread.sleep(20);
        }
        return p;
    }
}
