package ai.sandbox0.node.testing;

import ai.sandbox0.node.runtime.HostCommand;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A stand-in for "the internet": an HTTP server in its own network namespace, wired to the host by a
 * veth on 198.18.0.0/31 (the benchmarking range). Nothing outside this machine is ever contacted; a
 * sandbox with egress reaches it only through the host's forwarding and NAT, like any real server.
 */
public final class TestNetwork implements AutoCloseable {

    public static final int PORT = 8080;
    public static final String BODY = "hello from the test network";

    private final String ns;
    private final String hostVeth;
    private final Path docroot;
    private Process server;
    private final List<Process> helpers = new java.util.ArrayList<>();
    private String serverAddress;

    private TestNetwork(String tag) throws IOException {
        this.ns = "s0test-" + tag;
        this.hostVeth = "s0t" + tag;
        this.docroot = Files.createTempDirectory("s0-testnet-");
    }

    /** @param tag a few letters, unique per test class (names the netns and the veth) */
    public static TestNetwork start(String tag, String cidrBase) throws IOException {
        HostRequirements.check();
        var net = new TestNetwork(tag);
        try {
            net.up(cidrBase);
            return net;
        } catch (IOException | RuntimeException e) {
            net.close();
            throw e;
        }
    }

    private void up(String base) throws IOException {
        // Leftovers of a killed earlier run go first.
        HostCommand.run(List.of("ip", "netns", "delete", ns));
        HostCommand.run(List.of("ip", "link", "delete", hostVeth));
        String[] p = base.split("\\.");
        String host = base;
        String addr = p[0] + "." + p[1] + "." + p[2] + "." + (Integer.parseInt(p[3]) + 1);
        serverAddress = addr;
        HostCommand.check(ai.sandbox0.node.runtime.Step.CREATE_NETNS, List.of("ip", "netns", "add", ns));
        HostCommand.check(ai.sandbox0.node.runtime.Step.CREATE_VETH, List.of("ip", "-batch", "-"),
                "link add " + hostVeth + " type veth peer name eth0 netns " + ns + "\n"
                + "addr add " + host + "/31 dev " + hostVeth + "\nlink set " + hostVeth + " up\n");
        HostCommand.check(ai.sandbox0.node.runtime.Step.CONFIGURE_NETNS, List.of("ip", "-n", ns, "-batch", "-"),
                "link set lo up\naddr add " + addr + "/31 dev eth0\nlink set eth0 up\n");
        Files.writeString(docroot.resolve("index.html"), BODY);
        server = new ProcessBuilder("ip", "netns", "exec", ns, "/usr/bin/python3", "-m", "http.server",
                Integer.toString(PORT), "--bind", "0.0.0.0")
                .directory(docroot.toFile())
                .redirectErrorStream(true)
                .redirectOutput(docroot.resolveSibling(docroot.getFileName() + ".log").toFile())
                .start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(addr, PORT), 200);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline || !this.server.isAlive()) {
                    throw new IOException("test HTTP server in " + ns + " did not come up", e);
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IOException(ie);
                }
            }
        }
    }

    /** The server's address, outside every sandbox's network. */
    /** The network namespace the servers run in, for servers of a test's own. */
    public String namespace() {
        return ns;
    }

    public String serverAddress() {
        return serverAddress;
    }

    public String url() {
        return "http://" + serverAddress + ":" + PORT + "/";
    }

    /**
     * Makes the server answer at {@code address} too (a link-local one, where a cloud's metadata service would
     * be), routed to it from the host; returns its URL there.
     */
    public String alsoAt(String address) throws IOException {
        HostCommand.check(ai.sandbox0.node.runtime.Step.CONFIGURE_NETNS,
                List.of("ip", "-n", ns, "addr", "add", address + "/32", "dev", "eth0"));
        HostCommand.check(ai.sandbox0.node.runtime.Step.CONFIGURE_NETNS,
                List.of("ip", "route", "replace", address + "/32", "via", serverAddress, "dev", hostVeth));
        return "http://" + address + ":" + PORT + "/";
    }

    /**
     * A real nameserver (dnsmasq) on the server's address, port 53, answering {@code names} (name → address, a
     * name covering the names below it) and nothing else; returns its address, for a node's upstream nameservers.
     */
    public String startNameserver(java.util.Map<String, String> names) throws IOException {
        var cmd = new java.util.ArrayList<>(List.of("ip", "netns", "exec", ns, "/usr/sbin/dnsmasq", "--keep-in-foreground",
                "--no-resolv", "--no-hosts", "--no-poll", "--user=root", "--port=53", "--listen-address=" + serverAddress,
                "--bind-interfaces", "--pid-file=", "--log-queries", "--log-facility=" + queryLog()));
        names.forEach((name, address) -> cmd.add("--address=/" + name + "/" + address));
        if (!Files.isExecutable(Path.of("/usr/sbin/dnsmasq"))) {
            throw new IOException("dnsmasq is missing: apt-get install dnsmasq-base");
        }
        helpers.add(new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(docroot.resolveSibling(docroot.getFileName() + ".dns.log").toFile()).start());
        awaitUdp(53);
        return serverAddress;
    }

    /** What the nameserver was asked (one dnsmasq log line per query). */
    public String nameserverQueries() throws IOException {
        Path log = queryLog();
        return Files.exists(log) ? Files.readString(log) : "";
    }

    private Path queryLog() {
        return docroot.resolveSibling(docroot.getFileName() + ".queries.log");
    }

    /** A UDP echo server on the server's address. */
    public void startUdpEcho(int port) throws IOException {
        String code = "import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('0.0.0.0'," + port + "))\n"
                + "while True:\n  d,a=s.recvfrom(2048)\n  s.sendto(d,a)\n";
        helpers.add(new ProcessBuilder("ip", "netns", "exec", ns, "/usr/bin/python3", "-c", code).start());
        awaitUdp(port);
    }

    /** A TCP echo server on the server's address: connections stay open until the client closes them. */
    public void startTcpEcho(int port) throws IOException {
        String code = "import socket,threading\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
                + "s.bind(('0.0.0.0'," + port + "))\ns.listen(64)\n"
                + "def serve(c):\n  while True:\n    d=c.recv(65536)\n    if not d: break\n    c.sendall(d)\n  c.close()\n"
                + "while True:\n  c,_=s.accept()\n  threading.Thread(target=serve,args=(c,),daemon=True).start()\n";
        helpers.add(new ProcessBuilder("ip", "netns", "exec", ns, "/usr/bin/python3", "-c", code).start());
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            try (Socket sock = new Socket()) {
                sock.connect(new InetSocketAddress(serverAddress, port), 200);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("TCP echo in " + ns + " did not come up", e);
                }
                sleep();
            }
        }
    }

    private void awaitUdp(int port) throws IOException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!HostCommand.run(List.of("ip", "netns", "exec", ns, "ss", "-Hlun", "sport", "=", ":" + port)).stdout()
                .contains(":" + port)) {
            if (System.nanoTime() > deadline) {
                throw new IOException("nothing listens on UDP " + port + " in " + ns);
            }
            sleep();
        }
    }

    private static void sleep() throws IOException {
        try {
            Thread.sleep(20);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new IOException(ie);
        }
    }

    @Override
    public void close() throws IOException {
        for (Process p : helpers) {
            p.destroyForcibly();
        }
        if (server != null) {
            server.destroyForcibly();
            try {
                server.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        HostCommand.run(List.of("ip", "netns", "delete", ns));
        HostCommand.run(List.of("ip", "link", "delete", hostVeth));
        HostCommand.run(List.of("rm", "-rf", docroot.toString(), docroot + ".log", docroot + ".dns.log", queryLog().toString()));
    }
}
