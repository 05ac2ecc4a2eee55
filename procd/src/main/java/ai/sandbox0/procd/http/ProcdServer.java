package ai.sandbox0.procd.http;

import ai.sandbox0.api.ErrorCode;
import ai.sandbox0.procd.ProcdException;
import ai.sandbox0.procd.json.ProcdJson;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The JDK's HTTP server on virtual threads (no framework: procd's size is paid in every sandbox).
 * Every path but {@code /healthz} needs the bearer token.
 */
public final class ProcdServer implements AutoCloseable {

    private static final byte[] HEALTHY =
            "{\"success\":true,\"data\":{\"status\":\"healthy\"}}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] STARTING =
            "{\"success\":false,\"error\":{\"code\":\"unavailable\",\"message\":\"procd is starting\"}}"
                    .getBytes(StandardCharsets.UTF_8);

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Router router;
    private final BearerAuth auth;
    /** {@code /healthz} answers 200 once procd serves, {@code /readyz} once it has also warmed up. */
    private volatile boolean serving;
    private volatile boolean warm;
    /** An authenticated API call has arrived; the latch opens when the first one is answered. */
    private volatile boolean called;
    private final CountDownLatch firstAnswered = new CountDownLatch(1);

    private final InetSocketAddress address;

    /** The server, not yet listening: see {@link #listen}. */
    public ProcdServer(InetSocketAddress address, Router router, BearerAuth auth) throws IOException {
        this.router = router;
        this.auth = auth;
        this.address = address;
        this.server = HttpServer.create();
        server.setExecutor(executor);
        server.createContext("/", this::handle);
    }

    /**
     * Binds the port: from here a connection succeeds (the kernel completes the handshake), which is
     * how the node sees procd ready; requests are served once {@link #start}ed. Returns the port.
     */
    public int listen() throws IOException {
        server.bind(address, 128);
        return port();
    }

    public void start() {
        server.start();
    }

    public void markServing() {
        serving = true;
    }

    public void markWarm() {
        warm = true;
    }

    /** Whether an API call has arrived: if so, its answer warms the request path. */
    public boolean called() {
        return called;
    }

    public void awaitFirstAnswer(long millis) throws InterruptedException {
        firstAnswered.await(millis, TimeUnit.MILLISECONDS);
    }

    /**
     * The JDK server stamps every response with a Date header in this pattern; its first use loads the
     * locale's day, month and zone names (~15 ms interpreted), which a formatter of our own loads
     * into the same JDK-wide caches ahead of the first answer.
     */
    public static void prewarm() {
        DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss zzz", Locale.US).withZone(ZoneId.of("GMT"))
                .format(Instant.now());
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            if (path.equals("/healthz") || path.equals("/readyz")) {
                boolean ok = path.equals("/healthz") ? serving : warm;
                byte[] body = ok ? HEALTHY : STARTING;
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(ok ? 200 : 503, body.length);
                exchange.getResponseBody().write(body);
                return;
            }
            Router.Match match;
            try {
                auth.check(exchange.getRequestHeaders().getFirst("Authorization"));
                match = router.match(exchange.getRequestMethod(), path);
                if (match == null) {
                    throw new ProcdException(ErrorCode.NOT_FOUND, "route not found: " + path);
                }
                if (match.methodNotAllowed()) {
                    throw new ProcdException(ErrorCode.METHOD_NOT_ALLOWED, "method not allowed");
                }
            } catch (RuntimeException e) {
                drain(exchange);
                Failures.send(exchange, e);
                return;
            }
            called = true;
            try {
                answer(exchange, match);
            } finally {
                firstAnswered.countDown();
            }
        }
    }

    private static void answer(HttpExchange exchange, Router.Match match) throws IOException {
        Reply reply;
        try {
            reply = match.rpc().handle(new Call(exchange, match.params()));
        } catch (Exception e) {
            if (exchange.getResponseCode() == -1) {
                drain(exchange);
                Failures.send(exchange, e);
            }
            return;
        }
        if (reply instanceof Reply.Data(int status, Object data)) {
            drain(exchange);
            byte[] body = ProcdJson.ok(data);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
        }
    }

    /** Reads what is left of a request body so the connection can be reused. */
    private static void drain(HttpExchange exchange) {
        try {
            exchange.getRequestBody().transferTo(java.io.OutputStream.nullOutputStream());
        } catch (IOException ignored) {
            // the client is gone
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
