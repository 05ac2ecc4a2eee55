package ai.sandbox0.server.http;

import ai.sandbox0.api.Json;
import ai.sandbox0.server.auth.Principal;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.Fields;

/**
 * One request as an endpoint sees it: path parameters, query, headers, the authenticated caller and
 * a body read on demand. Confined to the virtual thread that handles the request.
 */
public final class Call {

    private final Request request;
    private final Map<String, String> pathParams;
    private final Principal principal;
    private final String requestId;
    private final long maxBodyBytes;
    private Fields query;
    private byte[] body;

    Call(Request request, Map<String, String> pathParams, Principal principal, String requestId, long maxBodyBytes) {
        this.request = request;
        this.pathParams = pathParams;
        this.principal = principal;
        this.requestId = requestId;
        this.maxBodyBytes = maxBodyBytes;
    }

    public String method() {
        return request.getMethod();
    }

    public String path() {
        return Request.getPathInContext(request);
    }

    public String requestId() {
        return requestId;
    }

    /** The caller; only null on open routes. */
    public Principal principal() {
        if (principal == null) {
            throw new IllegalStateException("open route " + path() + " has no principal");
        }
        return principal;
    }

    public String pathParam(String name) {
        String value = pathParams.get(name);
        if (value == null) {
            throw new IllegalStateException("route has no path parameter " + name);
        }
        return value;
    }

    /** The first value of a query parameter, or null. */
    public String query(String name) {
        if (query == null) {
            query = Request.extractQueryParameters(request);
        }
        return query.getValue(name);
    }

    public String header(String name) {
        return request.getHeaders().get(name);
    }

    /** The JSON body as {@code type}; a missing body is a 400. */
    public <T> T body(Class<T> type) {
        T value = optionalBody(type);
        if (value == null) {
            throw ApiException.badRequest("request body is required");
        }
        return value;
    }

    /** The JSON body as {@code type}, or null when the request has no body (or {@code null}). */
    public <T> T optionalBody(Class<T> type) {
        byte[] bytes = bytes();
        if (isBlank(bytes)) {
            return null;
        }
        try {
            return Json.mapper().readValue(bytes, type);
        } catch (JsonProcessingException e) {
            throw JsonProblems.badRequest(e);
        } catch (IOException e) {
            throw ApiException.badRequest("cannot read request body: " + e.getMessage());
        }
    }

    /** The JSON body as a tree, for endpoints that must look at it before binding; a missing body is a 400. */
    public JsonNode bodyTree() {
        byte[] bytes = bytes();
        if (isBlank(bytes)) {
            throw ApiException.badRequest("request body is required");
        }
        try {
            return Json.mapper().readTree(bytes);
        } catch (JsonProcessingException e) {
            throw JsonProblems.badRequest(e);
        } catch (IOException e) {
            throw ApiException.badRequest("cannot read request body: " + e.getMessage());
        }
    }

    /** Binds part of a body read with {@link #bodyTree()}; errors name fields under {@code field}. */
    public <T> T convert(JsonNode node, Class<T> type, String field) {
        try {
            return Json.mapper().treeToValue(node, type);
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest(JsonProblems.describe(e, field));
        }
    }

    /** The raw query string, undecoded, or null. */
    public String rawQuery() {
        return request.getHttpURI().getQuery();
    }

    /** The client's IP address as this server sees the connection (no forwarding headers are trusted). */
    public String clientAddress() {
        return Request.getRemoteAddr(request);
    }

    /** The client's socket, for a streaming reply that must notice a hang-up while it has nothing to send. */
    public ClientSocket clientSocket() {
        return ClientSocket.of(request);
    }

    /** The body as a stream, for bodies passed on rather than parsed (file uploads); no size limit here. */
    public InputStream bodyStream() {
        return Request.asInputStream(request);
    }

    /** The declared body length, or -1 when unknown (chunked). */
    public long contentLength() {
        return request.getLength();
    }

    /** The raw body, at most the configured limit (413 beyond it). */
    public byte[] bytes() {
        if (body == null) {
            body = readBody();
        }
        return body;
    }

    private byte[] readBody() {
        long declared = request.getLength();
        if (declared > maxBodyBytes) {
            throw tooLarge();
        }
        try (InputStream in = Request.asInputStream(request)) {
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBodyBytes + 1));
            if (bytes.length > maxBodyBytes) {
                throw tooLarge();
            }
            return bytes;
        } catch (IOException e) {
            throw ApiException.badRequest("cannot read request body: " + e.getMessage());
        }
    }

    private ApiException tooLarge() {
        return ApiException.tooLarge("request body is too large: the limit is " + maxBodyBytes + " bytes");
    }

    private static boolean isBlank(byte[] bytes) {
        for (byte b : bytes) {
            if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
                return false;
            }
        }
        return true;
    }
}
