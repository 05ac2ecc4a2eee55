package ai.sandbox0.node.egress;

import ai.sandbox0.node.runtime.HostCommand;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A sandbox and "the internet" for the egress proxy's tests, on the real kernel: a sandbox network namespace
 * whose veth has its TCP redirected to the proxy by a test nftables table (as the node's firewall does), and
 * an upstream namespace at 198.18.77.2 and .3 (and at 169.254.169.254, routed there) running the servers of
 * {@code egress/upstream.py}, which log every connection that reaches them.
 */
public final class EgressTopology implements AutoCloseable {

    static final String SANDBOX_NS = "s0px-sbx";
    static final String UPSTREAM_NS = "s0px-up";
    static final String SANDBOX_VETH = "s0pxs";
    static final String UPSTREAM_VETH = "s0pxu";
    static final String SANDBOX_HOST_SIDE = "10.201.77.1";
    static final String SANDBOX_ADDRESS = "10.201.77.2";
    public static final String POOL = "10.201.77.0/24";
    static final String HOST_UPSTREAM_SIDE = "198.18.77.1";
    static final String UPSTREAM = "198.18.77.2";
    static final String UPSTREAM_OTHER = "198.18.77.3";
    static final String METADATA = "169.254.169.254";
    /** With {@code direct}, reached from the sandbox without the proxy (routed by the host), for comparisons. */
    public static final String DIRECT = "198.18.77.4";
    public static final String UPSTREAM_ADDRESS = UPSTREAM;

    private final String table = "s0px_test_" + ProcessHandle.current().pid();
    private final Path dir;
    private Process upstream;

    private EgressTopology() throws IOException {
        dir = Files.createTempDirectory("s0-egress-test-");
    }

    static EgressTopology start(int proxyPort) throws IOException {
        return start(proxyPort, false);
    }

    /** @param direct whether {@link #DIRECT} bypasses the proxy (benchmarks compare with it) */
    public static EgressTopology start(int proxyPort, boolean direct) throws IOException {
        for (String bin : List.of("/usr/sbin/ip", "/usr/sbin/nft", "/usr/bin/curl", "/usr/bin/openssl")) {
            if (!Files.isExecutable(Path.of(bin))) {
                throw new IllegalStateException(bin + " is missing: the egress tests need iproute2, nftables, curl, openssl");
            }
        }
        var t = new EgressTopology();
        try {
            t.up(proxyPort, direct);
            return t;
        } catch (IOException | RuntimeException e) {
            t.close();
            throw e;
        }
    }

    private void up(int proxyPort, boolean direct) throws IOException {
        down();
        must(List.of("ip", "netns", "add", SANDBOX_NS));
        must(List.of("ip", "netns", "add", UPSTREAM_NS));
        must(List.of("ip", "-batch", "-"), """
                link add %s type veth peer name eth0 netns %s
                addr add %s/30 dev %s
                link set %s up
                link add %s type veth peer name eth0 netns %s
                addr add %s/24 dev %s
                link set %s up
                route replace %s/32 via %s dev %s
                """.formatted(SANDBOX_VETH, SANDBOX_NS, SANDBOX_HOST_SIDE, SANDBOX_VETH, SANDBOX_VETH,
                UPSTREAM_VETH, UPSTREAM_NS, HOST_UPSTREAM_SIDE, UPSTREAM_VETH, UPSTREAM_VETH,
                METADATA, UPSTREAM, UPSTREAM_VETH));
        must(List.of("ip", "-n", SANDBOX_NS, "-batch", "-"), """
                link set lo up
                addr add %s/30 dev eth0
                link set eth0 up
                route add default via %s
                """.formatted(SANDBOX_ADDRESS, SANDBOX_HOST_SIDE));
        must(List.of("ip", "-n", UPSTREAM_NS, "-batch", "-"), """
                link set lo up
                addr add %s/24 dev eth0
                addr add %s/24 dev eth0
                addr add %s/32 dev eth0
                %s
                link set eth0 up
                route add default via %s
                """.formatted(UPSTREAM, UPSTREAM_OTHER, METADATA, direct ? "addr add " + DIRECT + "/24 dev eth0" : "",
                HOST_UPSTREAM_SIDE));
        must(List.of("nft", "-f", "-"), """
                table ip %s {
                  chain prerouting {
                    type nat hook prerouting priority dstnat; policy accept;
                    %s
                    iifname "%s" meta l4proto tcp redirect to :%d
                  }
                }
                """.formatted(table, direct ? "ip daddr " + DIRECT + " accept" : "", SANDBOX_VETH, proxyPort));
        must(List.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-days", "1", "-subj", "/CN=upstream.test", "-keyout", dir.resolve("key.pem").toString(),
                "-out", dir.resolve("cert.pem").toString()));
        Path script = dir.resolve("upstream.py");
        try (InputStream in = EgressTopology.class.getResourceAsStream("/egress/upstream.py")) {
            Files.copy(in, script);
        }
        upstream = new ProcessBuilder("ip", "netns", "exec", UPSTREAM_NS, "python3", script.toString(),
                log().toString(), dir.resolve("cert.pem").toString(), dir.resolve("key.pem").toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("upstream.out").toFile())
                .start();
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (!Files.exists(log()) || !Files.readString(log()).contains("ready")) {
            if (System.nanoTime() > deadline || !upstream.isAlive()) {
                throw new IOException("upstream servers did not come up: "
                        + (Files.exists(dir.resolve("upstream.out")) ? Files.readString(dir.resolve("upstream.out")) : ""));
            }
            sleep(20);
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(UPSTREAM, 80), 2000); // the host reaches it directly
        }
        Files.writeString(log(), "");
    }

    Path log() {
        return dir.resolve("upstream.log");
    }

    Path dir() {
        return dir;
    }

    /** What reached the upstream servers since the start, one line each. */
    List<String> upstreamSaw() throws IOException {
        return Files.readAllLines(log());
    }

    public static InetAddress sandboxAddress() throws IOException {
        return InetAddress.getByName(SANDBOX_ADDRESS);
    }

    /** Runs {@code argv} inside the sandbox's network namespace. */
    public HostCommand.Result inSandbox(List<String> argv, String stdin, Duration timeout) throws IOException {
        var all = new ArrayList<>(List.of("ip", "netns", "exec", SANDBOX_NS));
        all.addAll(argv);
        return HostCommand.run(all, stdin, timeout);
    }

    /** A process inside the sandbox's network namespace, for a conversation over its stdin and stdout. */
    Process startInSandbox(List<String> argv) throws IOException {
        var all = new ArrayList<>(List.of("ip", "netns", "exec", SANDBOX_NS));
        all.addAll(argv);
        return new ProcessBuilder(all).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** Starts {@code argv} inside the upstream namespace (a server of a test's), its output to {@code out}. */
    public static Process startInUpstream(List<String> argv, Path out) throws IOException {
        var all = new ArrayList<>(List.of("ip", "netns", "exec", UPSTREAM_NS));
        all.addAll(argv);
        return new ProcessBuilder(all).redirectErrorStream(true).redirectOutput(out.toFile()).start();
    }

    /**
     * Waits until {@code server} has written {@code word} to {@code file} (its readiness); a server that died or
     * took longer than {@code within} fails the test with its output.
     */
    public static void awaitWord(Process server, Path file, String word, Path output, Duration within)
            throws IOException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!Files.exists(file) || !Files.readString(file).contains(word)) {
            if (System.nanoTime() > deadline || !server.isAlive()) {
                throw new IOException(server.info().command().orElse("a server") + " did not come up: "
                        + (Files.exists(output) ? Files.readString(output) : "(no output)"));
            }
            sleep(20);
        }
    }

    /** Waits until a server of the upstream namespace accepts connections on {@code port} (the host reaches it). */
    public static void awaitListening(int port, Path output, Duration within) throws IOException {
        long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(UPSTREAM, port), 1000);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("no server on port " + port + ": " + Files.readString(output));
                }
                sleep(50);
            }
        }
    }

    /** The first of the proxy's audit records {@code which} matches, waited for (records come as flows end). */
    public static EgressRecord awaitRecord(java.util.Collection<EgressRecord> audit,
            java.util.function.Predicate<EgressRecord> which) {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < deadline) {
            for (EgressRecord r : audit) {
                if (which.test(r)) {
                    return r;
                }
            }
            sleep(10);
        }
        throw new AssertionError("no such audit record among " + audit);
    }

    /** Stops a test's server and waits for it to be gone (null: nothing was started). */
    public static void stop(Process server) {
        if (server == null) {
            return;
        }
        server.destroyForcibly();
        try {
            server.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws IOException {
        stop(upstream);
        down();
        HostCommand.run(List.of("rm", "-rf", dir.toString()));
    }

    private void down() throws IOException {
        HostCommand.run(List.of("nft", "delete", "table", "ip", table));
        HostCommand.run(List.of("ip", "route", "del", METADATA + "/32"));
        HostCommand.run(List.of("ip", "netns", "delete", SANDBOX_NS));
        HostCommand.run(List.of("ip", "netns", "delete", UPSTREAM_NS));
        HostCommand.run(List.of("ip", "link", "delete", SANDBOX_VETH));
        HostCommand.run(List.of("ip", "link", "delete", UPSTREAM_VETH));
    }

    private static void must(List<String> argv) throws IOException {
        must(argv, null);
    }

    private static void must(List<String> argv, String stdin) throws IOException {
        var r = HostCommand.run(argv, stdin, Duration.ofSeconds(30));
        if (!r.ok()) {
            throw new IOException(String.join(" ", argv) + " failed: " + r.stderr() + r.stdout());
        }
    }

    /**
     * Writes into {@code dir} a test CA ({@code test-ca.crt}), a certificate it signs for {@code api.test},
     * {@code mcp.test} and {@code bad.test} ({@code srv.crt}, {@code srv.key}) and a self-signed one for the
     * same names that no proxy trusts ({@code bad.crt}, {@code bad.key}).
     */
    public static void testCertificates(Path dir) throws IOException {
        String san = "subjectAltName=DNS:api.test,DNS:mcp.test,DNS:bad.test";
        String script = """
                set -e
                cd %s
                openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=test-ca \\
                  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \\
                  -keyout test-ca.key -out test-ca.crt 2>/dev/null
                openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=api.test \\
                  -keyout srv.key -out srv.csr 2>/dev/null
                printf '%s\\n' > srv.ext
                openssl x509 -req -in srv.csr -CA test-ca.crt -CAkey test-ca.key -CAcreateserial -days 2 \\
                  -extfile srv.ext -out srv.crt 2>/dev/null
                openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=api.test \\
                  -addext %s -keyout bad.key -out bad.crt 2>/dev/null
                """.formatted(dir, san, san);
        var r = HostCommand.run(List.of("sh", "-c", script), null, Duration.ofSeconds(30));
        if (!r.ok()) {
            throw new IOException("openssl failed: " + r.stderr() + r.stdout());
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
