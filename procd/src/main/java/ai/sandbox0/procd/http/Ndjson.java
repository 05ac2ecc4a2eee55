package ai.sandbox0.procd.http;

import ai.sandbox0.procd.json.ProcdJson;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;

/**
 * A long-lived response of newline-delimited JSON: one upstream WebSocket frame per line, so the
 * gateway relays each line as one text frame. Empty lines are keep-alives (they also reveal a client
 * that went away, which the JDK server only notices on a write).
 */
public final class Ndjson implements AutoCloseable {

    public static final long KEEPALIVE_MILLIS = 15_000;

    private final OutputStream out;

    private Ndjson(OutputStream out) {
        this.out = out;
    }

    public static Ndjson open(HttpExchange exchange, String headerName, String headerValue) throws IOException {
        var h = exchange.getResponseHeaders();
        h.set("Content-Type", "application/x-ndjson");
        h.set("Cache-Control", "no-cache");
        if (headerName != null) {
            h.set(headerName, headerValue);
        }
        exchange.sendResponseHeaders(200, 0); // chunked
        Ndjson s = new Ndjson(exchange.getResponseBody());
        s.out.flush();
        return s;
    }

    public void frame(Object frame) throws IOException {
        out.write(ProcdJson.frame(frame));
        out.write('\n');
    }

    /** One line already encoded as JSON. */
    public void line(byte[] json) throws IOException {
        out.write(json);
        out.write('\n');
    }

    public void keepAlive() throws IOException {
        out.write('\n');
        flush();
    }

    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
