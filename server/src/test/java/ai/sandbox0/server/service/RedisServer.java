package ai.sandbox0.server.service;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A real {@code redis-server} on a free loopback port, its files in a temp dir; {@link #stop()} and
 * {@link #start()} again keep the port (a Redis restart), {@link #close()} removes everything.
 */
final class RedisServer implements AutoCloseable {

    private static final Path BINARY = Path.of("/usr/bin/redis-server");

    private final Path dir;
    private final int port;
    private final String password;
    private final boolean tls;
    private Process process;

    private RedisServer(Path dir, int port, String password, boolean tls) {
        this.dir = dir;
        this.port = port;
        this.password = password;
        this.tls = tls;
    }

    static RedisServer start(String password) throws IOException, InterruptedException {
        return start(password, null, null);
    }

    /** With PEM {@code certificateChain} and {@code privateKey}: TLS only ({@code rediss://}). */
    static RedisServer start(String password, String certificateChain, String privateKey)
            throws IOException, InterruptedException {
        if (!Files.isExecutable(BINARY)) {
            throw new IllegalStateException(BINARY + " is missing: these tests need the redis-server package");
        }
        var server = new RedisServer(Files.createTempDirectory("s0-ratelimit-redis-"), freePort(), password,
                certificateChain != null);
        if (server.tls) {
            Files.writeString(server.dir.resolve("tls.crt"), certificateChain);
            Files.writeString(server.dir.resolve("tls.key"), privateKey);
        }
        server.start();
        return server;
    }

    void start() throws IOException, InterruptedException {
        Path conf = dir.resolve("redis.conf");
        String ports = tls ? """
                port 0
                tls-port %d
                tls-cert-file %s
                tls-key-file %s
                tls-auth-clients no
                """.formatted(port, dir.resolve("tls.crt"), dir.resolve("tls.key")) : "port " + port + "\n";
        Files.writeString(conf, ports + """
                bind 127.0.0.1
                protected-mode no
                daemonize no
                save ""
                appendonly no
                dir %s
                requirepass %s
                """.formatted(dir, password));
        process = new ProcessBuilder(BINARY.toString(), conf.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.log").toFile())
                .start();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            try (var socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException e) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    throw new IllegalStateException("redis-server did not start: " + Files.readString(dir.resolve("redis.log")));
                }
                Thread.sleep(50);
            }
        }
    }

    void stop() throws InterruptedException {
        if (process != null) {
            process.destroy();
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
            process = null;
        }
    }

    int port() {
        return port;
    }

    String url() {
        return (tls ? "rediss" : "redis") + "://:" + password + "@127.0.0.1:" + port + "/0";
    }

    @Override
    public void close() throws IOException, InterruptedException {
        stop();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    static int freePort() throws IOException {
        try (var socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
