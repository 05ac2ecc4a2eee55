package ai.sandbox0.server.service;

import ai.sandbox0.api.ErrorCode;
import ai.sandbox0.server.procd.ProcdEndpoint;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.websocket.server.ServerWebSocketContainer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Function services (spec §7.6) on the public side: each request is one invocation POSTed to the sandbox's procd,
 * whose answer is the public response, relayed as it arrives (an SSE stream chunk by chunk). procd's own errors
 * are already the public envelope with the right status; they pass unchanged. A WebSocket upgrade opens procd's
 * function stream first and joins it to the client's socket through a {@link FunctionSocket}.
 */
final class FunctionRelay implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FunctionRelay.class);
    /** The largest public request body a function is given (413 beyond). */
    static final int MAX_BODY = 8 * 1024 * 1024;
    /** How much of a body over the limit is read and dropped before the 413; beyond it the connection is cut. */
    private static final long DRAINED = 32L * 1024 * 1024;
    /** Marks a response the function produced, as opposed to procd's own errors. */
    static final String FUNCTION_RESPONSE = "Sandbox0-Function-Response";
    private static final String STREAM = "Sandbox0-Function-Stream";
    /** Hop-by-hop (RFC 9110 §7.6.1) and procd's private headers: never relayed to the client. */
    private static final Set<String> NOT_RELAYED = Set.of("connection", "keep-alive", "proxy-connection",
            "transfer-encoding", "te", "trailer", "upgrade", "proxy-authenticate", "proxy-authorization",
            FUNCTION_RESPONSE.toLowerCase(Locale.ROOT), STREAM.toLowerCase(Locale.ROOT));

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .executor(Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("function-relay-", 0).factory()))
            .build();

    /** A plain request: read its body (bounded), invoke, relay procd's answer. */
    void serve(Request request, Response response, Callback callback, ProcdEndpoint procd, FunctionCall call)
            throws IOException {
        byte[] body = body(request);
        if (body == null) {
            PublicReplies.error(response, callback, 413, ErrorCode.BAD_REQUEST, "request body too large");
            return;
        }
        Optional<HttpResponse<InputStream>> answer = post(procd, "/api/v1/functions/invoke", call.json(body), request);
        if (answer.isEmpty()) {
            PublicReplies.error(response, callback, 503, ErrorCode.UNAVAILABLE, "function runtime unavailable");
            return;
        }
        relay(answer.get(), response, callback);
    }

    /**
     * The request body, or null when it is over {@link #MAX_BODY}. An oversize body is still read (and dropped) up
     * to {@link #DRAINED} so that a client that sends it all before reading gets the 413 rather than a reset.
     */
    private static byte[] body(Request request) throws IOException {
        long declared = request.getLength();
        if (declared > MAX_BODY + DRAINED) {
            return null;
        }
        InputStream in = Content.Source.asInputStream(request);
        byte[] body = in.readNBytes(MAX_BODY + 1);
        if (body.length <= MAX_BODY) {
            return body;
        }
        byte[] sink = new byte[64 * 1024];
        long left = DRAINED;
        int n;
        while (left > 0 && (n = in.read(sink, 0, (int) Math.min(sink.length, left))) >= 0) {
            left -= n;
        }
        return null;
    }

    /**
     * A WebSocket upgrade: procd's function stream is opened first, so that its refusal (no python3, a bad
     * function) is the client's HTTP answer; only then is the client's upgrade accepted.
     */
    void open(Request request, Response response, Callback callback, ProcdEndpoint procd, FunctionCall call)
            throws IOException {
        Optional<HttpResponse<InputStream>> answer = post(procd, "/api/v1/functions/ws", call.json(null), null);
        if (answer.isEmpty()) {
            PublicReplies.error(response, callback, 503, ErrorCode.UNAVAILABLE, "function runtime unavailable");
            return;
        }
        HttpResponse<InputStream> stream = answer.get();
        Optional<String> id = stream.headers().firstValue(STREAM);
        if (stream.statusCode() != 200) {
            relay(stream, response, callback);
            return;
        }
        if (id.isEmpty()) {
            stream.body().close();
            LOG.warn("the sandbox agent at {} opened a function stream without naming it", procd.base());
            PublicReplies.error(response, callback, 503, ErrorCode.UNAVAILABLE, "function runtime unavailable");
            return;
        }
        var socket = new FunctionSocket(this, procd, id.get(), stream.body());
        var container = ServerWebSocketContainer.get(request.getContext());
        boolean upgraded;
        try {
            upgraded = container != null && container.upgrade((rq, rs, cb) -> socket, request, response, callback);
        } catch (RuntimeException e) {
            upgraded = false;
        }
        if (!upgraded) {
            socket.abandon();
            PublicReplies.error(response, callback, 400, ErrorCode.BAD_REQUEST, "not a valid WebSocket upgrade");
        }
    }

    /** The POST to procd; empty when procd cannot be reached or does not take the gateway's token. */
    /**
     * The POST to procd; empty when procd cannot be reached or does not take the gateway's token. A public
     * {@code client} that goes away (a reset stream, a failed connection) ends the exchange, and with it the
     * function.
     */
    Optional<HttpResponse<InputStream>> post(ProcdEndpoint procd, String path, byte[] json, Request client) {
        return send(procd, HttpRequest.newBuilder(procd.resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json)), client);
    }

    Optional<HttpResponse<InputStream>> send(ProcdEndpoint procd, HttpRequest.Builder request, Request client) {
        CompletableFuture<HttpResponse<InputStream>> pending = http.sendAsync(
                request.header("Authorization", "Bearer " + procd.token()).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (client != null) {
            client.addFailureListener(failure -> {
                pending.cancel(true);
                pending.thenAccept(answer -> closeQuietly(answer.body()));
            });
        }
        try {
            HttpResponse<InputStream> answer = pending.get();
            if (answer.statusCode() == 401 && answer.headers().firstValue(FUNCTION_RESPONSE).isEmpty()) {
                // procd's own 401 means another agent answers at its address; a function's 401 is the function's.
                closeQuietly(answer.body());
                LOG.error("the sandbox agent at {} refused the gateway's token", procd.base());
                return Optional.empty();
            }
            return Optional.of(answer);
        } catch (ExecutionException | CancellationException e) {
            LOG.debug("sandbox agent at {} not reachable: {}", procd.base(), e.toString());
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pending.cancel(true);
            return Optional.empty();
        }
    }

    private static void closeQuietly(InputStream body) {
        try {
            body.close();
        } catch (IOException ignored) {
            // the exchange is over either way
        }
    }

    /** procd's answer to the client: status, end-to-end headers, and the body as each piece arrives. */
    private static void relay(HttpResponse<InputStream> answer, Response response, Callback callback) {
        try (InputStream body = answer.body()) {
            response.setStatus(answer.statusCode());
            List<String> named = answer.headers().allValues("Connection").stream()
                    .flatMap(v -> java.util.Arrays.stream(v.split(","))).map(t -> t.trim().toLowerCase(Locale.ROOT))
                    .toList();
            answer.headers().map().forEach((name, values) -> {
                String lower = name.toLowerCase(Locale.ROOT);
                if (!name.startsWith(":") && !NOT_RELAYED.contains(lower) && !named.contains(lower)) {
                    values.forEach(value -> response.getHeaders().add(name, value));
                }
            });
            OutputStream out = Content.Sink.asOutputStream(response);
            byte[] buffer = new byte[64 * 1024];
            int n;
            // Each read returns what has arrived; each write goes out at once, so SSE events are not held back.
            while ((n = body.read(buffer)) >= 0) {
                if (n > 0) {
                    out.write(buffer, 0, n);
                }
            }
            out.close();
            callback.succeeded();
        } catch (IOException e) {
            // The client went away, or procd's stream broke mid-body: either way the response cannot be whole.
            LOG.debug("function response relay ended early: {}", e.toString());
            if (response.isCommitted()) {
                callback.failed(e);
            } else {
                response.reset();
                PublicReplies.error(response, callback, 503, ErrorCode.UNAVAILABLE, "function runtime unavailable");
            }
        }
    }

    @Override
    public void close() {
        http.close();
    }
}
