package ai.sandbox0.procd.http;

import ai.sandbox0.procd.ProcdException;
import ai.sandbox0.procd.json.JsonProblem;
import ai.sandbox0.procd.json.ProcdJson;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** One request as the RPCs see it: path parameters, query, headers and body. */
public final class Call {

    static final int MAX_JSON_BODY = 16 * 1024 * 1024;

    private final HttpExchange exchange;
    private final Map<String, String> params;
    private Map<String, String> query;

    Call(HttpExchange exchange, Map<String, String> params) {
        this.exchange = exchange;
        this.params = params;
    }

    public HttpExchange exchange() {
        return exchange;
    }

    public String param(String name) {
        return params.get(name);
    }

    /** A decoded query parameter, or null. */
    public String query(String name) {
        if (query == null) {
            query = new HashMap<>();
            String raw = exchange.getRequestURI().getRawQuery();
            if (raw != null) {
                for (String pair : raw.split("&")) {
                    int eq = pair.indexOf('=');
                    String k = eq < 0 ? pair : pair.substring(0, eq);
                    String v = eq < 0 ? "" : pair.substring(eq + 1);
                    query.putIfAbsent(decode(k), decode(v));
                }
            }
        }
        return query.get(name);
    }

    /** Query booleans are true only when literally {@code true}. */
    public boolean flag(String name) {
        return "true".equals(query(name));
    }

    public String header(String name) {
        return exchange.getRequestHeaders().getFirst(name);
    }

    public InputStream body() {
        return exchange.getRequestBody();
    }

    public long contentLength() {
        String v = header("Content-Length");
        try {
            return v == null ? -1 : Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    public String text() throws IOException {
        return new String(bytes(), StandardCharsets.UTF_8);
    }

    public byte[] bytes() throws IOException {
        long length = contentLength();
        if (length > MAX_JSON_BODY) {
            throw ProcdException.invalid("request body too large");
        }
        if (length >= 0) {
            // One array of the announced size: a function's request body is megabytes on a small heap.
            byte[] b = new byte[(int) length];
            int n = exchange.getRequestBody().readNBytes(b, 0, b.length);
            return n == b.length ? b : java.util.Arrays.copyOf(b, n);
        }
        byte[] b = exchange.getRequestBody().readNBytes(MAX_JSON_BODY + 1);
        if (b.length > MAX_JSON_BODY) {
            throw ProcdException.invalid("request body too large");
        }
        return b;
    }

    /** The JSON body as {@code type}; an empty body reads as {@code {}}. Bad JSON is a 400 naming the field. */
    public <T> T json(Class<T> type) throws IOException {
        byte[] b = bytes();
        try {
            return ProcdJson.read(b, type);
        } catch (JsonProblem e) {
            throw ProcdException.invalid(e.getMessage());
        }
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw ProcdException.invalid("malformed query string");
        }
    }
}
