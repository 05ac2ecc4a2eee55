package ai.sandbox0.server.procd;

import ai.sandbox0.server.http.ApiException;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.StatusCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client WebSocket relayed to one procd NDJSON stream (docs/procd-protocol.md): every line procd
 * writes becomes a text frame, every client text frame is POSTed to procd verbatim, and the socket
 * closes when the stream ends. Subclasses say which stream and what its ends mean.
 */
abstract class StreamRelay implements Session.Listener.AutoDemanding {

    private static final Logger LOG = LoggerFactory.getLogger(StreamRelay.class);

    protected final ProcdClient client;
    protected final ProcdEndpoint procd;
    /** Completes with the path client frames go to, once procd has opened the stream. */
    private final CompletableFuture<String> inputPath = new CompletableFuture<>();
    private volatile Session session;
    private volatile InputStream upstream;
    private volatile boolean closed;

    StreamRelay(ProcdClient client, ProcdEndpoint procd) {
        this.client = client;
        this.procd = procd;
    }

    /** The GET that opens the NDJSON stream. */
    abstract String streamPath();

    /** Where client frames go, given the opened stream's response. */
    abstract String inputPath(HttpResponse<InputStream> opened);

    /** The close reason when procd refuses the stream with {@code status}. */
    abstract String refusal(int status);

    /** The close reason when the stream ends normally. */
    abstract String endReason(HttpResponse<InputStream> opened);

    /** Called once after the client went away, to release what the stream holds in procd. */
    void release(String inputPath) {
    }

    @Override
    public void onWebSocketOpen(Session session) {
        this.session = session;
        Thread.ofVirtual().name("ws-relay").start(this::pump);
    }

    private void pump() {
        HttpResponse<InputStream> opened;
        try {
            opened = client.stream(procd, streamPath());
        } catch (ApiException e) {
            inputPath.cancel(false);
            close(StatusCode.SERVER_ERROR, e.getMessage());
            return;
        }
        if (opened.statusCode() != 200) {
            drain(opened.body());
            inputPath.cancel(false);
            close(StatusCode.NORMAL, refusal(opened.statusCode()));
            return;
        }
        upstream = opened.body();
        inputPath.complete(inputPath(opened));
        try (var lines = new BufferedReader(new InputStreamReader(upstream, StandardCharsets.UTF_8))) {
            String line;
            while (!closed && (line = lines.readLine()) != null) {
                if (!line.isEmpty()) { // empty lines are procd's keep-alives
                    send(line);
                }
            }
            close(StatusCode.NORMAL, endReason(opened));
        } catch (IOException e) {
            if (!closed) {
                LOG.debug("procd stream ended: {}", e.getMessage());
                close(StatusCode.SERVER_ERROR, "sandbox agent stream failed");
            }
        }
    }

    private void send(String text) throws IOException {
        var sent = new Callback.Completable();
        session.sendText(text, sent);
        try {
            sent.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        } catch (ExecutionException e) {
            throw new IOException("client went away", e.getCause());
        }
    }

    @Override
    public void onWebSocketText(String message) {
        String path;
        try {
            path = inputPath.get(); // frames sent before procd opened the stream wait for it
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (ExecutionException | CancellationException e) {
            return; // the stream never opened; the socket is closing
        }
        try {
            byte[] body = message.getBytes(StandardCharsets.UTF_8);
            var response = client.call(procd, "POST", path, Map.of("Content-Type", "application/json"),
                    new ByteArrayInputStream(body), body.length);
            drain(response.body());
        } catch (ApiException e) {
            LOG.debug("relaying a client frame failed: {}", e.getMessage());
        }
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason) {
        stop();
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        stop();
    }

    private void stop() {
        if (closed) {
            return;
        }
        closed = true;
        InputStream in = upstream;
        if (in != null) {
            try {
                in.close(); // aborts the exchange with procd
            } catch (IOException ignored) {
                // already gone
            }
        }
        inputPath.thenAccept(this::release);
    }

    private void close(int code, String reason) {
        Session s = session;
        if (s != null && s.isOpen()) {
            s.close(code, reason, Callback.NOOP);
        }
        stop();
    }

    private static void drain(InputStream body) {
        try (body) {
            body.transferTo(OutputStream.nullOutputStream());
        } catch (IOException ignored) {
            // nothing to keep
        }
    }
}
