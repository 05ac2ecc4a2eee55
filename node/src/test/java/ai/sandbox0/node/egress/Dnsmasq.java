package ai.sandbox0.node.egress;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Debian's dnsmasq as the upstream nameserver of the resolver under test, on 127.0.0.1 and a free port, with
 * every query it receives logged to a file the test reads.
 */
final class Dnsmasq implements AutoCloseable {

    static final Path BINARY = Path.of("/usr/sbin/dnsmasq");

    private final Process process;
    private final Path dir;
    private final Path log;
    private final int port;

    private Dnsmasq(Process process, Path dir, Path log, int port) {
        this.process = process;
        this.dir = dir;
        this.log = log;
        this.port = port;
    }

    /** Starts it with {@code records} (dnsmasq options such as {@code --address=/a.test/198.18.0.7}). */
    static Dnsmasq start(List<String> records) throws IOException, InterruptedException {
        if (!Files.isExecutable(BINARY)) {
            throw new IllegalStateException(BINARY + " is missing (apt-get install dnsmasq-base)");
        }
        Path dir = Files.createTempDirectory("s0-dnsmasq");
        Path log = dir.resolve("queries.log");
        int port = freePort();
        var command = new ArrayList<>(List.of(BINARY.toString(), "--keep-in-foreground", "--user=root",
                "--conf-file=/dev/null", "--pid-file=" + dir.resolve("pid"), "--no-resolv", "--no-hosts",
                "--no-poll", "--port=" + port, "--listen-address=127.0.0.1", "--bind-interfaces", "--log-queries",
                "--log-facility=" + log, "--local-ttl=300"));
        command.addAll(records);
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("stdout").toFile()).start();
        var dnsmasq = new Dnsmasq(process, dir, log, port);
        try {
            dnsmasq.awaitListening();
        } catch (IOException | RuntimeException e) {
            dnsmasq.close();
            throw e;
        }
        return dnsmasq;
    }

    InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    /** The query lines of its log, such as {@code query[A] allowed.test from 127.0.0.1}. */
    List<String> queries() throws IOException {
        if (!Files.exists(log)) {
            return List.of();
        }
        return Files.readAllLines(log).stream().filter(l -> l.contains(" query[")).toList();
    }

    /** Waits until a query for {@code name} is in the log: every query sent before it has been logged too. */
    void awaitQuery(String name) throws IOException, InterruptedException {
        for (int i = 0; i < 500; i++) {
            if (queries().stream().anyMatch(l -> l.contains("] " + name + " from"))) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("dnsmasq never saw " + name + ": " + queries());
    }

    private void awaitListening() throws IOException, InterruptedException {
        for (int i = 0; i < 500; i++) {
            if (!process.isAlive()) {
                throw new IllegalStateException("dnsmasq exited " + process.exitValue() + ": "
                        + Files.readString(dir.resolve("stdout")));
            }
            try (var s = new Socket()) {
                s.connect(address(), 100);
                return;
            } catch (IOException notYet) {
                Thread.sleep(10);
            }
        }
        throw new IllegalStateException("dnsmasq did not listen on port " + port);
    }

    private static int freePort() throws IOException {
        try (var s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws IOException {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
