package ai.sandbox0.server.service;

import ai.sandbox0.api.Json;
import ai.sandbox0.server.procd.ProcdEndpoint;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.StatusCode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A public WebSocket joined to a function's stream in procd (docs/procd-protocol.md, "Function WebSockets"):
 * each NDJSON line procd writes is one frame to the client, and procd's close line closes the client with its
 * code; each client message is POSTed to the stream, one at a time and in order, the next one read only once
 * procd took the last (so a function that reads slowly slows its client). A client that closes, or fails, ends
 * the stream. Public: Jetty binds listener methods through a lookup from its own module.
 */
public final class FunctionSocket implements Session.Listener {

    private static final Logger LOG = LoggerFactory.getLogger(FunctionSocket.class);

    private final FunctionRelay relay;
    private final ProcdEndpoint procd;
    private final String inputPath;
    private final InputStream lines;
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile Session session;
    /** Set once procd no longer reads the client's messages: later ones are dropped. */
    private volatile boolean deaf;

    FunctionSocket(FunctionRelay relay, ProcdEndpoint procd, String stream, InputStream lines) {
        this.relay = relay;
        this.procd = procd;
        this.inputPath = "/api/v1/functions/ws/" + java.net.URLEncoder.encode(stream, StandardCharsets.UTF_8);
        this.lines = lines;
    }

    @Override
    public void onWebSocketOpen(Session session) {
        this.session = session;
        Thread.ofVirtual().name("function-ws").start(this::pump);
        session.demand();
    }

    /** procd's lines → client frames, each sent before the next line is read. */
    private void pump() {
        try (var reader = new BufferedReader(new InputStreamReader(lines, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.isBlank()) {
                    continue; // procd's keep-alive
                }
                JsonNode frame = Json.mapper().readTree(line);
                switch (frame.path("type").asText()) {
                    case "text" -> await(done -> session.sendText(frame.path("data").asText(), done));
                    case "binary" -> await(done -> session.sendBinary(
                            ByteBuffer.wrap(Base64.getDecoder().decode(frame.path("data_base64").asText())), done));
                    case "close" -> {
                        close(frame.path("code").asInt(StatusCode.NORMAL), frame.path("reason").asText(""));
                        return;
                    }
                    default -> LOG.debug("ignoring a function stream line of type {}", frame.path("type").asText());
                }
            }
            close(StatusCode.SERVER_ERROR, "function exited");
        } catch (IOException | RuntimeException e) {
            if (!ended.get()) {
                LOG.debug("function stream failed: {}", e.toString());
                close(StatusCode.SERVER_ERROR, "function runtime unavailable");
            }
        }
    }

    private interface Send {
        void to(Callback done);
    }

    private static void await(Send send) throws IOException {
        var done = new Callback.Completable();
        send.to(done);
        try {
            done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        } catch (ExecutionException e) {
            throw new IOException("client went away", e.getCause());
        }
    }

    @Override
    public void onWebSocketText(String message) {
        forward(message.getBytes(StandardCharsets.UTF_8), "text/plain; charset=utf-8");
    }

    @Override
    public void onWebSocketBinary(ByteBuffer payload, org.eclipse.jetty.websocket.api.Callback callback) {
        byte[] bytes = new byte[payload.remaining()];
        payload.get(bytes);
        callback.succeed();
        forward(bytes, "application/octet-stream");
    }

    /** One client message to procd, off Jetty's thread; the next is demanded only once procd has answered. */
    private void forward(byte[] message, String type) {
        if (deaf || ended.get()) {
            session.demand();
            return;
        }
        Thread.ofVirtual().name("function-ws-in").start(() -> {
            Optional<HttpResponse<InputStream>> answer = relay.send(procd, HttpRequest.newBuilder(procd.resolve(inputPath))
                    .header("Content-Type", type).POST(HttpRequest.BodyPublishers.ofByteArray(message)), null);
            if (answer.isEmpty()) {
                close(StatusCode.SERVER_ERROR, "function runtime unavailable");
                return;
            }
            drain(answer.get().body());
            if (answer.get().statusCode() != 200) {
                // 410: the function has ended or stopped reading; its close line is on its way.
                deaf = true;
            }
            session.demand();
        });
    }

    @Override
    public void onWebSocketPing(ByteBuffer payload) {
        session.demand(); // answered by Jetty
    }

    @Override
    public void onWebSocketPong(ByteBuffer payload) {
        session.demand();
    }

    @Override
    public void onWebSocketClose(int statusCode, String reason, Callback callback) {
        callback.succeed();
        end();
    }

    @Override
    public void onWebSocketError(Throwable cause) {
        end();
    }

    /** The client's upgrade did not happen: the stream procd opened for it is released. */
    void abandon() {
        end();
    }

    private void close(int code, String reason) {
        Session s = session;
        if (s != null && s.isOpen()) {
            int sendable = switch (code) {
                case StatusCode.NO_CODE -> StatusCode.NORMAL;
                case StatusCode.NO_CLOSE, StatusCode.FAILED_TLS_HANDSHAKE -> StatusCode.SERVER_ERROR;
                default -> code;
            };
            s.close(sendable, reason, Callback.NOOP);
        }
        end();
    }

    /** Tells procd the client is gone (the function's {@code async for} ends) and drops the stream. */
    private void end() {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        Thread.ofVirtual().name("function-ws-end").start(() -> {
            relay.send(procd, HttpRequest.newBuilder(procd.resolve(inputPath)).DELETE(), null)
                    .ifPresent(answer -> drain(answer.body()));
            try {
                lines.close();
            } catch (IOException ignored) {
                // already gone
            }
        });
    }

    private static void drain(InputStream body) {
        try (body) {
            body.transferTo(OutputStream.nullOutputStream());
        } catch (IOException ignored) {
            // nothing to keep
        }
    }
}
