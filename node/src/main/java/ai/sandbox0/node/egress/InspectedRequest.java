package ai.sandbox0.node.egress;

import ai.sandbox0.api.Json;
import ai.sandbox0.api.network.EgressAuthFailurePolicy;
import ai.sandbox0.api.network.EgressAuthProtocol;
import ai.sandbox0.api.network.EgressCredentialRule;
import ai.sandbox0.api.network.PlaceholderSubstitutionLocation;
import ai.sandbox0.api.network.ProtocolRule;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One inspected HTTP request, whichever HTTP carries it (HTTP/1.1 on its connection, or an HTTP/2 stream seen
 * as HTTP objects): checked against the protocol rules, given the credentials its credential rule projects,
 * its body read whole when a rule needs it (MCP calls, placeholders in the body) or else streamed, then
 * forwarded to the destination or answered by the proxy. {@link #decided} is the one place where a request's
 * fate is settled. Runs on the connection's event loop; the carrier feeds it the request's parts in order and
 * holds them back while {@link #deciding()}.
 */
final class InspectedRequest {

    private static final Logger LOG = LoggerFactory.getLogger(InspectedRequest.class);

    /** Bodies read whole (MCP calls, placeholders in bodies) are at most this long. */
    static final int MAX_BODY = 1024 * 1024;

    /** What the connection or stream carrying the request does for it. */
    interface Sides {

        /** Writes toward the destination (the carrier flushes once it has handled what it read). */
        void forward(HttpObject o);

        /** The proxy answers the request itself; what is left of the request is read and dropped. */
        void answer(FullHttpResponse response);

        /** An interim response the proxy gives the client (100 Continue for a body it reads whole). */
        void interim(HttpResponse response);

        /** The whole request has been read. */
        void requestEnded();

        /** A decision that waited for the credential material came: reading may go on. */
        void decidedLater();

        /** Whether the request is still wanted (its connection or stream is open). */
        boolean live();

        ByteBufAllocator alloc();
    }

    /**
     * What the connection knows: its rules, its credential material, who and where (for the log), and where
     * each request's audit record goes.
     */
    record Connection(FlowHandling.Inspect plan, BindingMaterial material, String sandboxId, Destination destination,
            Audit audit) {
    }

    /** Where a request's record goes once its exchange is over. */
    interface Audit {

        /**
         * @param reason what denied or refused it; null for a request let through (the connection's verdict)
         * @param out    the request body bytes sent on to the destination
         * @param in     the response body bytes the client got
         */
        void request(EgressRecord.Request request, boolean allowed, String reason, long out, long in, Instant opened);
    }

    /** How a request's fate was settled. */
    sealed interface Decision {

        /** Sent on, with the material of {@code credentialRef} (null: no credential rule, or failing open without it). */
        record Forwarded(String credentialRef, boolean injected) implements Decision {
        }

        /** A protocol rule denies it ({@code rule}: the rule's name, or the MCP tool). */
        record Denied(String rule) implements Decision {
        }

        /** It could not be checked or given its credentials, and fails closed. */
        record Refused(String reason) implements Decision {
        }
    }

    private enum Mode { DECIDING, STREAM, AGGREGATE, DISCARD }

    private final Connection connection;
    private final Sides sides;
    private final HttpRequest request;
    private final HttpRules.Request view;
    private Mode mode = Mode.DECIDING;
    private boolean ended;
    private boolean beginning;
    private List<ProtocolRule> mcp = List.of();
    private EgressCredentialRule rule;
    private EgressMaterial material;
    private CompositeByteBuf body;
    // What the audit record says of it.
    private final Instant opened = Instant.now();
    private Decision decision;
    private int status;
    private long bytesOut;
    private long bytesIn;
    private String tool;
    private boolean finished;

    InspectedRequest(Connection connection, HttpRequest request, Sides sides) {
        this.connection = connection;
        this.sides = sides;
        this.request = request;
        this.view = HttpRules.Request.of(request.method().name(), request.uri(), request.headers());
    }

    HttpRequest head() {
        return request;
    }

    /** Still waiting for its decision: hold the rest of the request back. */
    boolean deciding() {
        return mode == Mode.DECIDING;
    }

    /** Its parts go to the destination as they come. */
    boolean streaming() {
        return mode == Mode.STREAM;
    }

    /** The proxy answered it: nothing of it reaches the destination. */
    boolean answered() {
        return mode == Mode.DISCARD;
    }

    /** The whole request has been read. */
    boolean ended() {
        return ended;
    }

    // ---- the head

    /** Decides on the request's head: at once, or (material to fetch) later, with {@link Sides#decidedLater()}. */
    void begin() {
        beginning = true;
        try {
            Optional<String> denial = HttpRules.httpDenial(connection.plan().protocolRules(), view);
            if (denial.isPresent()) {
                refuse(new Decision.Denied(denial.get()), plain(HttpResponseStatus.FORBIDDEN,
                        "Forbidden: denied by the sandbox's network policy (" + denial.get() + ")"));
                endIfWhole();
                return;
            }
            if (view.method().equals("POST")) {
                mcp = HttpRules.mcpRules(connection.plan().protocolRules(), view);
            }
            Optional<EgressCredentialRule> found = HttpRules.credentialRule(connection.plan().credentialRules(), view);
            if (found.isEmpty() || found.get().protocol() == EgressAuthProtocol.TLS) {
                withMaterial(null);
                return;
            }
            rule = found.get();
            connection.material().resolve(rule, (m, failure) -> {
                if (!sides.live() || mode != Mode.DECIDING) {
                    return;
                }
                if (failure != null && rule.failurePolicy() != EgressAuthFailurePolicy.FAIL_OPEN) {
                    refuse(new Decision.Refused(failure), plain(HttpResponseStatus.SERVICE_UNAVAILABLE, failure));
                    endIfWhole();
                } else {
                    withMaterial(failure == null ? m : null);
                }
                if (!beginning) {
                    sides.decidedLater();
                }
            });
        } finally {
            beginning = false;
        }
    }

    /** A request that did not parse: answered 400, never forwarded. */
    void malformed() {
        refuse(new Decision.Refused("malformed request"), plain(HttpResponseStatus.BAD_REQUEST, "malformed request"));
        end();
    }

    /** The request's credentials are known: rewrite its head, then read its body whole or stream it. */
    private void withMaterial(EgressMaterial found) {
        material = found;
        switch (found) {
            case EgressMaterial.Headers h -> h.headers().forEach((name, value) -> request.headers().set(name, value));
            case EgressMaterial.Placeholders p -> Substitution.headersAndQuery(request, p);
            case null, default -> {
            }
        }
        long length = HttpUtil.getContentLength(request, -1L);
        boolean bodyPlaceholders = found instanceof EgressMaterial.Placeholders p && p.replacements().stream()
                .anyMatch(r -> r.locations().contains(PlaceholderSubstitutionLocation.BODY))
                && length >= 0 && length <= MAX_BODY && !HttpUtil.isTransferEncodingChunked(request)
                && identity(request);
        if (!mcp.isEmpty() && length > MAX_BODY) {
            refuse(new Decision.Refused("body too large"), rpcError(null, TOO_LARGE));
            endIfWhole();
            return;
        }
        if (!mcp.isEmpty() || bodyPlaceholders) {
            mode = Mode.AGGREGATE;
            body = sides.alloc().compositeBuffer(1024);
            if (HttpUtil.is100ContinueExpected(request)) {
                request.headers().remove(HttpHeaderNames.EXPECT);
                sides.interim(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
            }
            if (request instanceof LastHttpContent last) {
                body.addComponent(true, last.content().retain());
                ReferenceCountUtil.release(request);
                aggregated();
            }
            return;
        }
        decided(forwarded());
        mode = Mode.STREAM;
        if (request instanceof HttpContent c) {
            bytesOut += c.content().readableBytes();
        }
        sides.forward(request);
        endIfWhole();
    }

    // ---- the body

    /** The next part of the request's body (not while {@link #deciding()}). */
    void content(HttpContent c) {
        boolean last = c instanceof LastHttpContent;
        switch (mode) {
            case STREAM -> {
                bytesOut += c.content().readableBytes();
                sides.forward(c);
            }
            case AGGREGATE -> {
                if (body.readableBytes() + c.content().readableBytes() > MAX_BODY) {
                    ReferenceCountUtil.release(c);
                    refuse(new Decision.Refused("body too large"), rpcError(null, TOO_LARGE));
                } else {
                    body.addComponent(true, c.content().retain());
                    ReferenceCountUtil.release(c);
                    if (last) {
                        aggregated();
                        return;
                    }
                }
            }
            case DISCARD -> ReferenceCountUtil.release(c);
            case DECIDING -> throw new IllegalStateException("content while deciding");
        }
        if (last) {
            end();
        }
    }

    /** A whole body: its MCP calls checked, its placeholders replaced, then the request forwarded at once. */
    private void aggregated() {
        ByteBuf whole = body;
        body = null;
        if (!mcp.isEmpty()) {
            Optional<Refusal> refusal = mcpRefusal(whole);
            if (refusal.isPresent()) {
                whole.release();
                refuse(refusal.get().decision(), refusal.get().response());
                end();
                return;
            }
        }
        if (material instanceof EgressMaterial.Placeholders p) {
            ByteBuf replaced = Substitution.body(whole, p, sides.alloc());
            if (replaced != whole) {
                whole.release();
                whole = replaced;
            }
        }
        var full = new DefaultFullHttpRequest(request.protocolVersion(), request.method(), request.uri(), whole);
        full.headers().set(request.headers());
        full.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
        full.headers().set(HttpHeaderNames.CONTENT_LENGTH, whole.readableBytes());
        decided(forwarded());
        mode = Mode.STREAM;
        bytesOut += whole.readableBytes();
        sides.forward(full);
        end();
    }

    /**
     * The destination is gone before it answered: the carrier answers the client itself, and what is left of
     * the request is dropped.
     */
    void drop() {
        mode = Mode.DISCARD;
        release();
    }

    /** The carrier is gone: what is held is let go. */
    void release() {
        if (body != null) {
            body.release();
            body = null;
        }
    }

    // ---- the response, and the record

    /** A part of the response on its way to the client (the destination's, or the proxy's own answer). */
    void responded(HttpObject o) {
        if (o instanceof HttpResponse r) {
            int code = r.status().code();
            if (code >= 200 || code == 101 || status == 0) {
                status = code;
            }
        }
        if (o instanceof HttpContent c) {
            bytesIn += c.content().readableBytes();
        }
    }

    /**
     * The exchange is over (its response ended, it was upgraded, or its connection or stream went away): its
     * audit record goes out, once. A request never decided (its connection ended first) has none.
     */
    void finished() {
        if (finished || decision == null) {
            return;
        }
        finished = true;
        String ref = decision instanceof Decision.Forwarded f && f.injected() ? f.credentialRef() : null;
        var record = new EgressRecord.Request(view.method(), view.path(), status, ref, tool);
        switch (decision) {
            case Decision.Forwarded f -> connection.audit().request(record, true,
                    f.credentialRef() != null && !f.injected() ? "fail-open" : null, bytesOut, bytesIn, opened);
            case Decision.Denied d -> connection.audit().request(record, false, d.rule(), bytesOut, bytesIn, opened);
            case Decision.Refused r -> connection.audit().request(record, false, r.reason(), bytesOut, bytesIn, opened);
        }
    }

    // ---- outcomes

    private Decision forwarded() {
        return new Decision.Forwarded(rule == null ? null : rule.credentialRef(), material != null);
    }

    /** Every request passes here exactly once, with what became of it. */
    private void decided(Decision decision) {
        this.decision = decision;
        LOG.debug("egress: {} → {}: {} {}: {}", connection.sandboxId(), connection.destination(), view.method(),
                view.path(), decision);
    }

    private void refuse(Decision decision, FullHttpResponse response) {
        decided(decision);
        mode = Mode.DISCARD;
        release();
        sides.answer(response);
    }

    private void endIfWhole() {
        if (request instanceof LastHttpContent && !ended) {
            end();
        }
    }

    private void end() {
        ended = true;
        sides.requestEnded();
    }

    // ---- MCP

    private record Refusal(Decision decision, FullHttpResponse response) {
    }

    private static final String TOO_LARGE = "the request body is too large to be checked against the sandbox's network policy";

    /**
     * A JSON-RPC error for a {@code tools/call} of a denied tool (or for a body that cannot be read, which is
     * never let through); empty when the call may go on.
     */
    private Optional<Refusal> mcpRefusal(ByteBuf whole) {
        JsonNode message;
        try {
            message = Json.mapper().readTree(ByteBufUtil.getBytes(whole));
        } catch (IOException e) {
            message = null;
        }
        if (message == null || !(message.isObject() || message.isArray())) {
            return Optional.of(new Refusal(new Decision.Refused("not JSON-RPC"), rpcError(null, "the request body is"
                    + " not JSON-RPC; it cannot be checked against the sandbox's network policy")));
        }
        List<JsonNode> calls = new ArrayList<>();
        if (message.isArray()) {
            message.forEach(calls::add);
        } else {
            calls.add(message);
        }
        String denied = null;
        for (JsonNode call : calls) {
            if (!call.path("method").asText("").equals("tools/call")) {
                continue;
            }
            JsonNode name = call.path("params").path("name");
            if (tool == null && name.isTextual()) {
                tool = name.asText(); // the first call of a batch names the record
            }
            if (!name.isTextual()) {
                return Optional.of(new Refusal(new Decision.Refused("tools/call without a tool name"),
                        rpcError(call.get("id"), "tools/call without a tool name cannot be checked against the"
                                + " sandbox's network policy")));
            }
            if (HttpRules.toolDenied(mcp, name.asText())) {
                denied = name.asText();
                tool = denied;
                if (!message.isArray()) {
                    return Optional.of(new Refusal(new Decision.Denied("mcp tool " + denied),
                            rpcError(call.get("id"), toolDenied(denied))));
                }
            }
        }
        if (denied == null) {
            return Optional.empty();
        }
        // A batch with a denied call is refused whole: every request in it gets the error.
        ArrayNode errors = JsonNodeFactory.instance.arrayNode();
        for (JsonNode call : calls) {
            if (call.has("id")) {
                errors.add(rpcErrorNode(call.get("id"), toolDenied(denied)));
            }
        }
        return Optional.of(new Refusal(new Decision.Denied("mcp tool " + denied), json(errors)));
    }

    private static String toolDenied(String tool) {
        return "tool " + tool + " is denied by the sandbox's network policy";
    }

    // ---- answers

    private static boolean identity(HttpRequest request) {
        String encoding = request.headers().get(HttpHeaderNames.CONTENT_ENCODING);
        return encoding == null || encoding.isBlank() || encoding.equalsIgnoreCase("identity");
    }

    static FullHttpResponse plain(HttpResponseStatus status, String text) {
        var r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(text + "\n", StandardCharsets.UTF_8));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        r.headers().set(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
        return r;
    }

    /** A JSON-RPC error answered with HTTP 200, as an MCP server would. */
    static FullHttpResponse rpcError(JsonNode id, String message) {
        return json(rpcErrorNode(id, message));
    }

    private static ObjectNode rpcErrorNode(JsonNode id, String message) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("jsonrpc", "2.0");
        o.set("id", id == null ? JsonNodeFactory.instance.nullNode() : id);
        ObjectNode error = o.putObject("error");
        error.put("code", -32001);
        error.put("message", message);
        return o;
    }

    private static FullHttpResponse json(JsonNode value) {
        byte[] bytes;
        try {
            bytes = Json.mapper().writeValueAsBytes(value);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        var r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(bytes));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        r.headers().set(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        return r;
    }
}
