package ai.sandbox0.node.bench;

import ai.sandbox0.node.egress.EgressPolicies;
import ai.sandbox0.node.egress.EgressPolicy;
import ai.sandbox0.node.egress.EgressProxy;
import ai.sandbox0.node.egress.EgressTopology;
import ai.sandbox0.node.egress.NameRecords;
import ai.sandbox0.node.egress.PlatformRules;
import java.time.Duration;
import java.util.List;

/**
 * The egress proxy's benchmark (run by bench/egress): per-request latency on a reused connection, the cost
 * of a new connection, and one large download, each through the proxy (passthrough) and directly (the host
 * routing the same sandbox namespace to the same server) in the same run. Prints a Markdown table.
 */
public final class EgressBench {

    private static final int ROUND_TRIPS = Integer.getInteger("bench.roundtrips", 5000);
    private static final int CONNECTIONS = Integer.getInteger("bench.connections", 500);
    private static final long DOWNLOAD = Long.getLong("bench.download", 1L << 30);

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

    public static void main(String[] args) throws Exception {
        var policies = new EgressPolicies();
        var platform = new PlatformRules(PlatformRules.DEFAULT_PRIVATE_RANGES, EgressTopology.POOL);
        try (var proxy = new EgressProxy(0, policies, platform, NameRecords.NONE, EgressProxy.Hooks.NONE);
                var net = EgressTopology.start(proxy.port(), true)) {
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
            System.out.println("| egress (passthrough) | direct | through the proxy | added |");
            System.out.println("|---|---|---|---|");
            row("64 B request/response on a reused connection, p50 (µs)", rtDirect[0], rtProxy[0]);
            row("64 B request/response on a reused connection, p99 (µs)", rtDirect[1], rtProxy[1]);
            row("new connection + 64 B request/response, p50 (µs)", connDirect[0], connProxy[0]);
            row("new connection + 64 B request/response, p99 (µs)", connDirect[1], connProxy[1]);
            System.out.printf("| %d MiB download, best of 5 (MB/s) | %.0f | %.0f | %.0f %% of direct |%n",
                    DOWNLOAD >> 20, bestDirect, bestProxy, 100 * bestProxy / bestDirect);
        }
    }

    private static void row(String what, String direct, String proxied) {
        double d = Double.parseDouble(direct);
        double p = Double.parseDouble(proxied);
        System.out.printf("| %s | %.1f | %.1f | %+.1f |%n", what, d, p, p - d);
    }

    private static String run(EgressTopology net, String mode, String host, int port, long n) throws Exception {
        var r = net.inSandbox(List.of("python3", "-c", CLIENT, mode, host, Integer.toString(port), Long.toString(n)), null,
                Duration.ofMinutes(5));
        if (!r.ok()) {
            throw new IllegalStateException(mode + " " + host + ": " + r.stderr());
        }
        return r.stdout().strip();
    }
}
