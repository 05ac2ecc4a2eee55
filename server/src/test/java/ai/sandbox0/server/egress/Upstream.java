package ai.sandbox0.server.egress;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * "The internet" for the egress API's tests: an HTTP server in a network namespace of its own, reached from the
 * host over a veth on 198.18.93.0/31 (the benchmarking range). Nothing outside this machine is contacted.
 */
final class Upstream implements AutoCloseable {

    static final String ADDRESS = "198.18.93.1";
    static final int PORT = 8080;
    /** Answers every request with the request's head (line and headers) as its body. */
    static final int ECHO_PORT = 8081;
    private static final String NS = "s0test-emt";
    private static final String VETH = "s0temt";

    private final Path docroot;
    private Process server;
    private Process echo;

    private Upstream() throws IOException {
        docroot = Files.createTempDirectory("s0-egress-upstream-");
    }

    /** Serves {@code body} at {@code /}. */
    static Upstream start(String body) throws IOException, InterruptedException {
        var up = new Upstream();
        try {
            up.up(body);
            return up;
        } catch (IOException | RuntimeException e) {
            up.close();
            throw e;
        }
    }

    private void up(String body) throws IOException, InterruptedException {
        down();
        run(List.of("ip", "netns", "add", NS));
        run(List.of("ip", "link", "add", VETH, "type", "veth", "peer", "name", "eth0", "netns", NS));
        run(List.of("ip", "addr", "add", "198.18.93.0/31", "dev", VETH));
        run(List.of("ip", "link", "set", VETH, "up"));
        run(List.of("ip", "-n", NS, "link", "set", "lo", "up"));
        run(List.of("ip", "-n", NS, "addr", "add", ADDRESS + "/31", "dev", "eth0"));
        run(List.of("ip", "-n", NS, "link", "set", "eth0", "up"));
        Files.writeString(docroot.resolve("index.html"), body);
        server = new ProcessBuilder("ip", "netns", "exec", NS, "/usr/bin/python3", "-m", "http.server",
                Integer.toString(PORT), "--bind", ADDRESS)
                .directory(docroot.toFile()).redirectErrorStream(true)
                .redirectOutput(docroot.resolve("server.log").toFile()).start();
        String echoCode = """
                import http.server
                class H(http.server.BaseHTTPRequestHandler):
                    def do_GET(self):
                        body = (self.requestline + "\\n" + str(self.headers)).encode()
                        self.send_response(200)
                        self.send_header("Content-Length", str(len(body)))
                        self.end_headers()
                        self.wfile.write(body)
                    def log_message(self, *a):
                        pass
                http.server.HTTPServer(("%s", %d), H).serve_forever()
                """.formatted(ADDRESS, ECHO_PORT);
        echo = new ProcessBuilder("ip", "netns", "exec", NS, "/usr/bin/python3", "-c", echoCode)
                .redirectErrorStream(true).redirectOutput(docroot.resolve("echo.log").toFile()).start();
        long deadline = System.nanoTime() + 10_000_000_000L;
        for (int port : new int[] {PORT, ECHO_PORT}) {
            awaitPort(port, deadline);
        }
    }

    private void awaitPort(int port, long deadline) throws IOException, InterruptedException {
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(ADDRESS, port), 200);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline || !server.isAlive() || !echo.isAlive()) {
                    throw new IOException("the test upstream did not come up", e);
                }
                Thread.sleep(20);
            }
        }
    }

    private static void run(List<String> argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", argv) + " failed: " + out);
        }
    }

    private static void down() throws IOException, InterruptedException {
        for (List<String> argv : List.of(List.of("ip", "netns", "delete", NS), List.of("ip", "link", "delete", VETH))) {
            new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start()
                    .waitFor();
        }
    }

    @Override
    public void close() throws IOException {
        for (Process p : new Process[] {server, echo}) {
            if (p != null) {
                p.destroyForcibly();
            }
        }
        try {
            down();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (var files = Files.walk(docroot)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
