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
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An inspected flow's HTTP/1.x: the client's connection ends at the proxy (inside TLS under a leaf of the
 * node's CA when the flow is TLS), the proxy holds its own connection to the original destination (TLS
 * re-originated and verified), and each request in between is checked against the protocol rules, given the
 * credentials its credential rule projects, and forwarded; the response streams back as it comes. One request
 * at a time: the next is read once the response to the last has ended. Runs on the flow's event loop.
 */
final class HttpInspection {

    private static final Logger LOG = LoggerFactory.getLogger(HttpInspection.class);

    /** Bodies read whole (MCP calls, placeholders in bodies) are at most this long. */
    static final int MAX_BODY = 1024 * 1024;
    /** Decoded objects held while a request is decided before reading stops. */
    private static final int INBOX_HIGH = 64;
    static final String RESOLUTION_FAILED = "egress auth resolution failed";
    static final String MATERIAL_UNAVAILABLE = "material unavailable";

    interface Owner {
        String sandboxId();

        Channel down();

        Destination destination();

        /** The upstream connection exists (set before it is used, so the flow closes it with the client's). */
        void upstream(Channel up);

        /** TLS and HTTP are set up on both sides: start feeding the client's bytes to {@code handlers}. */
        void inspecting();

        void countIn(int bytes);

        void meter();

        /** Ends the flow with a reset both ways. */
        void cut();

        /** Ends the flow with a reset both ways, refused for {@code verdict} (its audit record says why). */
        void cut(Verdict verdict);
    }

    private enum Mode { DECIDING, STREAM, AGGREGATE, DISCARD }

    /** One request and its response. */
    private final class Exchange {
        final HttpRequest request;
        final HttpRules.Request view;
        final boolean keepAlive;
        Mode mode = Mode.DECIDING;
        boolean requestEnded;
        boolean responseEnded;
        boolean responseStarted;
        boolean informational;
        boolean closeAfter;
        List<ProtocolRule> mcp = List.of();
        EgressMaterial material;
        CompositeByteBuf body;

        Exchange(HttpRequest request) {
            this.request = request;
            this.view = HttpRules.Request.of(request.method().name(), request.uri(), request.headers());
            this.keepAlive = HttpUtil.isKeepAlive(request);
        }
    }

    private final Owner owner;
    private final FlowHandling.Inspect plan;
    private final EgressCredentials credentials;
    private final UpstreamTls upstreamTls;
    private final MitmAuthority authority;
    private final Channel down;
    private final ArrayDeque<HttpObject> inbox = new ArrayDeque<>();
    private final Map<String, EgressMaterial> materials = new HashMap<>();
    private Channel up;
    private Exchange exchange;
    private boolean downEnded;
    private boolean closing;

    HttpInspection(Owner owner, FlowHandling.Inspect plan, EgressCredentials credentials, UpstreamTls upstreamTls,
            MitmAuthority authority) {
        this.owner = owner;
        this.plan = plan;
        this.credentials = credentials;
        this.upstreamTls = upstreamTls;
        this.authority = authority;
        this.down = owner.down();
    }

    // ---- setting up both sides

    /**
     * The upstream's TLS context: with the client certificate of the first {@code tls} credential rule for
     * this destination, resolved first; without one when there is none (or it fails open).
     */
    void start(UpstreamRoute route) {
        if (!plan.tls()) {
            connect(route, null);
            return;
        }
        Optional<EgressCredentialRule> tlsRule = plan.credentialRules().stream()
                .filter(r -> r.protocol() == EgressAuthProtocol.TLS).findFirst();
        if (tlsRule.isEmpty()) {
            connect(route, upstreamTls.context());
            return;
        }
        EgressCredentialRule rule = tlsRule.get();
        resolve(rule, (material, failure) -> {
            SslContext context = null;
            if (failure == null && material instanceof EgressMaterial.ClientCertificate cert) {
                try {
                    context = upstreamTls.context(cert);
                } catch (IllegalArgumentException e) {
                    failure = MATERIAL_UNAVAILABLE;
                }
            } else if (failure == null) {
                failure = MATERIAL_UNAVAILABLE;
            }
            if (context == null) {
                if (failOpen(rule)) {
                    context = upstreamTls.context();
                } else {
                    LOG.debug("egress: {} → {}: client certificate: {}", owner.sandboxId(), owner.destination(), failure);
                    owner.cut();
                    return;
                }
            }
            connect(route, context);
        });
    }

    /** Connects to the destination the flow's way (directly or through the policy's SOCKS5 upstream). */
    private void connect(UpstreamRoute route, SslContext tls) {
        Destination d = owner.destination();
        java.net.InetSocketAddress original = route.original();
        String peer = d.host() != null ? d.host() : original.getAddress().getHostAddress();
        route.connect(p -> {
            p.addLast(new UpCounter());
            if (tls != null) {
                p.addLast(tls.newHandler(p.channel().alloc(), peer, original.getPort()));
            }
            p.addLast(new HttpClientCodec(8192, 64 * 1024, 16 * 1024), new UpSide());
        }, new UpstreamRoute.Outcome() {
            @Override
            public void channel(Channel ch) {
                up = ch;
                owner.upstream(up);
            }

            @Override
            public void ready() {
                SslHandler ssl = up.pipeline().get(SslHandler.class);
                if (ssl == null) {
                    downSide();
                    return;
                }
                ssl.handshakeFuture().addListener(h -> {
                    if (!h.isSuccess()) {
                        // The destination's certificate did not verify (or its TLS failed): the client is refused.
                        LOG.info("egress: {} → {}: upstream TLS refused: {}", owner.sandboxId(), d,
                                String.valueOf(h.cause()));
                        owner.cut();
                        return;
                    }
                    downSide();
                });
            }

            @Override
            public void failed(Verdict verdict, Throwable cause) {
                if (verdict != null) {
                    owner.cut(verdict);
                    return;
                }
                LOG.debug("egress: {} → {}: upstream failed: {}", owner.sandboxId(), d, String.valueOf(cause));
                owner.cut();
            }
        });
    }

    /** The upstream is ready: the client's side is terminated and decoded from here on. */
    private void downSide() {
        if (!down.isActive()) {
            return;
        }
        ChannelPipeline p = down.pipeline();
        if (plan.tls()) {
            Destination d = owner.destination();
            String name = d.host() != null ? d.host() : d.address().getHostAddress();
            p.addLast(authority.leaf(name).context().newHandler(down.alloc()));
        }
        p.addLast(new HttpServerCodec(8192, 64 * 1024, 16 * 1024), new DownSide());
        owner.inspecting();
    }

    /** The client ended its side: once nothing is in flight, the flow ends. */
    void downEnded() {
        downEnded = true;
        if (exchange == null && inbox.isEmpty()) {
            close();
        }
    }

    // ---- the client's requests

    private final class DownSide extends ChannelInboundHandlerAdapter {

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof HttpObject o) || closing) {
                ReferenceCountUtil.release(msg);
                return;
            }
            inbox.add(o);
            pump();
            if (inbox.size() > INBOX_HIGH) {
                down.config().setAutoRead(false);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (up != null) {
                up.flush();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (up != null) {
                up.config().setAutoRead(down.isWritable());
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            release();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("egress: {} → {}: client side: {}", owner.sandboxId(), owner.destination(), cause.toString());
            owner.cut();
        }
    }

    /** Handles what the client sent, in order, as far as the current exchange lets it. */
    private void pump() {
        while (!inbox.isEmpty() && !closing) {
            if (exchange != null && (exchange.mode == Mode.DECIDING || exchange.requestEnded)) {
                break; // decided (or answered) first
            }
            HttpObject o = inbox.poll();
            if (exchange == null) {
                if (o instanceof HttpRequest request) {
                    begin(request);
                } else {
                    ReferenceCountUtil.release(o); // the rest of a body nobody waits for
                }
                continue;
            }
            content((HttpContent) o);
        }
        if (up != null) {
            up.flush();
        }
        if (!closing && down.isActive()) {
            boolean waiting = exchange != null && exchange.mode == Mode.DECIDING;
            down.config().setAutoRead(!waiting && inbox.size() <= INBOX_HIGH && (up == null || up.isWritable()));
        }
    }

    private void begin(HttpRequest request) {
        if (request.decoderResult().isFailure()) {
            ReferenceCountUtil.release(request);
            exchange = new Exchange(new io.netty.handler.codec.http.DefaultHttpRequest(HttpVersion.HTTP_1_1,
                    HttpMethod.GET, "/"));
            exchange.requestEnded = true;
            respond(plain(HttpResponseStatus.BAD_REQUEST, "malformed request"), true);
            return;
        }
        Exchange x = new Exchange(request);
        exchange = x;
        Optional<String> denial = HttpRules.httpDenial(plan.protocolRules(), x.view);
        if (denial.isPresent()) {
            LOG.debug("egress: {} {} {} denied by {}", owner.sandboxId(), x.view.method(), x.view.path(), denial.get());
            x.mode = Mode.DISCARD;
            respond(plain(HttpResponseStatus.FORBIDDEN, "Forbidden: denied by the sandbox's network policy ("
                    + denial.get() + ")"), false);
            if (request instanceof LastHttpContent) {
                x.requestEnded = true;
                ended();
            }
            return;
        }
        if (x.view.method().equals("POST")) {
            x.mcp = HttpRules.mcpRules(plan.protocolRules(), x.view);
        }
        Optional<EgressCredentialRule> rule = HttpRules.credentialRule(plan.credentialRules(), x.view);
        if (rule.isEmpty() || rule.get().protocol() == EgressAuthProtocol.TLS) {
            decided(x, null);
            return;
        }
        EgressCredentialRule r = rule.get();
        resolve(r, (material, failure) -> {
            if (exchange != x || closing) {
                return;
            }
            if (failure != null) {
                if (!failOpen(r)) {
                    x.mode = Mode.DISCARD;
                    respond(plain(HttpResponseStatus.SERVICE_UNAVAILABLE, failure), false);
                    pump();
                    return;
                }
                material = null;
            }
            decided(x, material);
            pump();
        });
    }

    /** The request's credentials are known: rewrite its head, then read its body whole or stream it. */
    private void decided(Exchange x, EgressMaterial material) {
        x.material = material;
        HttpRequest request = x.request;
        switch (material) {
            case EgressMaterial.Headers h -> h.headers().forEach((name, value) -> request.headers().set(name, value));
            case EgressMaterial.Placeholders p -> Substitution.headersAndQuery(request, p);
            case null, default -> {
            }
        }
        long length = HttpUtil.getContentLength(request, -1L);
        boolean bodyPlaceholders = material instanceof EgressMaterial.Placeholders p && p.replacements().stream()
                .anyMatch(r -> r.locations().contains(PlaceholderSubstitutionLocation.BODY))
                && length >= 0 && length <= MAX_BODY && !HttpUtil.isTransferEncodingChunked(request)
                && identity(request);
        boolean mcp = !x.mcp.isEmpty();
        if (mcp && length > MAX_BODY) {
            x.mode = Mode.DISCARD;
            respond(rpcError(null, "the request body is too large to be checked against the sandbox's network policy"),
                    false);
            return;
        }
        if (mcp || bodyPlaceholders) {
            x.mode = Mode.AGGREGATE;
            x.body = down.alloc().compositeBuffer(1024);
            if (HttpUtil.is100ContinueExpected(request)) {
                request.headers().remove(HttpHeaderNames.EXPECT);
                down.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
            }
            if (request instanceof LastHttpContent last) {
                x.body.addComponent(true, last.content().retain());
                ReferenceCountUtil.release(request);
                aggregated(x);
            }
            return;
        }
        x.mode = Mode.STREAM;
        x.responseStarted = false;
        up.write(request);
        if (request instanceof LastHttpContent) {
            x.requestEnded = true;
        }
    }

    private void content(HttpContent c) {
        Exchange x = exchange;
        boolean last = c instanceof LastHttpContent;
        switch (x.mode) {
            case STREAM -> {
                up.write(c);
                if (!up.isWritable()) {
                    down.config().setAutoRead(false);
                }
            }
            case AGGREGATE -> {
                if (x.body.readableBytes() + c.content().readableBytes() > MAX_BODY) {
                    ReferenceCountUtil.release(c);
                    x.body.release();
                    x.body = null;
                    x.mode = Mode.DISCARD;
                    respond(rpcError(null, "the request body is too large to be checked against the sandbox's"
                            + " network policy"), false);
                    if (last) {
                        x.requestEnded = true;
                        ended();
                    }
                    return;
                }
                x.body.addComponent(true, c.content().retain());
                ReferenceCountUtil.release(c);
                if (last) {
                    aggregated(x);
                }
                return;
            }
            case DISCARD -> ReferenceCountUtil.release(c);
            case DECIDING -> throw new IllegalStateException("content while deciding");
        }
        if (last) {
            x.requestEnded = true;
            ended();
        }
    }

    /** A whole body: its MCP calls checked, its placeholders replaced, then the request forwarded at once. */
    private void aggregated(Exchange x) {
        x.requestEnded = true;
        ByteBuf body = x.body;
        x.body = null;
        if (!x.mcp.isEmpty()) {
            Optional<FullHttpResponse> refusal = mcpRefusal(x, body);
            if (refusal.isPresent()) {
                body.release();
                x.mode = Mode.DISCARD;
                respond(refusal.get(), false);
                ended();
                return;
            }
        }
        if (x.material instanceof EgressMaterial.Placeholders p) {
            ByteBuf replaced = Substitution.body(body, p, down.alloc());
            if (replaced != body) {
                body.release();
                body = replaced;
            }
        }
        HttpRequest head = x.request;
        var full = new DefaultFullHttpRequest(head.protocolVersion(), head.method(), head.uri(), body);
        full.headers().set(head.headers());
        full.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
        full.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        x.mode = Mode.STREAM;
        up.writeAndFlush(full);
    }

    /**
     * A JSON-RPC error for a {@code tools/call} of a denied tool (or for a body that cannot be read, which is
     * never let through); empty when the call may go on.
     */
    private Optional<FullHttpResponse> mcpRefusal(Exchange x, ByteBuf body) {
        JsonNode message;
        try {
            message = Json.mapper().readTree(ByteBufUtil.getBytes(body));
        } catch (IOException e) {
            message = null;
        }
        if (message == null || !(message.isObject() || message.isArray())) {
            return Optional.of(rpcError(null, "the request body is not JSON-RPC; it cannot be checked against the"
                    + " sandbox's network policy"));
        }
        List<JsonNode> calls = message.isArray() ? stream(message) : List.of(message);
        String denied = null;
        for (JsonNode call : calls) {
            String method = call.path("method").asText("");
            if (method.equals("tools/list")) {
                LOG.debug("egress: {} → {}: MCP tools/list", owner.sandboxId(), owner.destination());
            }
            if (method.equals("tools/call")) {
                JsonNode name = call.path("params").path("name");
                if (!name.isTextual()) {
                    return Optional.of(rpcError(call.get("id"), "tools/call without a tool name cannot be checked"
                            + " against the sandbox's network policy"));
                }
                if (HttpRules.toolDenied(x.mcp, name.asText())) {
                    denied = name.asText();
                    if (!message.isArray()) {
                        return Optional.of(rpcError(call.get("id"), toolDenied(denied)));
                    }
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
        return Optional.of(json(errors));
    }

    private static String toolDenied(String tool) {
        return "tool " + tool + " is denied by the sandbox's network policy";
    }

    private static List<JsonNode> stream(JsonNode array) {
        var out = new java.util.ArrayList<JsonNode>();
        array.forEach(out::add);
        return out;
    }

    // ---- the destination's responses

    private final class UpCounter extends ChannelInboundHandlerAdapter {

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof ByteBuf b) {
                owner.countIn(b.readableBytes());
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            owner.meter();
            ctx.fireChannelReadComplete();
        }
    }

    private final class UpSide extends ChannelInboundHandlerAdapter {

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Exchange x = exchange;
            if (x == null || x.mode == Mode.DISCARD || closing) {
                // Nothing asked for it (or the proxy answered itself): a destination speaking out of turn.
                ReferenceCountUtil.release(msg);
                if (x == null && !closing) {
                    close();
                }
                return;
            }
            if (msg instanceof HttpResponse response) {
                int code = response.status().code();
                x.informational = code >= 100 && code < 200 && code != 101;
                x.responseStarted |= !x.informational;
                if (!x.informational && !HttpUtil.isKeepAlive(response)) {
                    x.closeAfter = true;
                }
                if (code == 101) {
                    x.closeAfter = true; // upgrades (WebSocket) are not carried through inspection
                }
            }
            boolean last = msg instanceof LastHttpContent;
            down.write(msg);
            if (!down.isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
            if (last && !x.informational) {
                x.responseEnded = true;
                down.flush();
                ended();
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            down.flush();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            Exchange x = exchange;
            if (x != null && x.mode == Mode.STREAM && !x.requestEnded) {
                down.config().setAutoRead(ctx.channel().isWritable());
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            Exchange x = exchange;
            if (x != null && !x.responseStarted && x.mode != Mode.DISCARD && !closing) {
                x.mode = Mode.DISCARD;
                respond(plain(HttpResponseStatus.BAD_GATEWAY, "the destination closed the connection"), true);
                return;
            }
            close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("egress: {} → {}: upstream: {}", owner.sandboxId(), owner.destination(), cause.toString());
            ctx.close();
        }
    }

    // ---- answers and endings

    /** Answers the current request from the proxy; {@code close} ends the connection after it. */
    private void respond(FullHttpResponse response, boolean close) {
        Exchange x = exchange;
        x.responseStarted = true;
        x.responseEnded = true;
        x.closeAfter |= close || !x.keepAlive;
        if (x.closeAfter) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        down.writeAndFlush(response);
        ended();
    }

    /** The exchange is over when both its request and its response are: the next request may come. */
    private void ended() {
        Exchange x = exchange;
        if (x == null || !x.requestEnded || !x.responseEnded) {
            return;
        }
        if (x.body != null) {
            x.body.release();
            x.body = null;
        }
        exchange = null;
        if (x.closeAfter || downEnded && inbox.isEmpty()) {
            close();
            return;
        }
        if (up != null) {
            up.config().setAutoRead(down.isWritable());
        }
        down.eventLoop().execute(this::pump);
    }

    /** Ends both connections once what was written has gone out. */
    private void close() {
        if (closing) {
            return;
        }
        closing = true;
        release();
        down.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        if (up != null) {
            up.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private void release() {
        HttpObject o;
        while ((o = inbox.poll()) != null) {
            ReferenceCountUtil.release(o);
        }
        if (exchange != null && exchange.body != null) {
            exchange.body.release();
            exchange.body = null;
        }
    }

    // ---- credentials

    private interface Resolved {
        void accept(EgressMaterial material, String failure);
    }

    /**
     * The rule's material, from this flow's cache while it lasts, else asked of the server off the event loop;
     * {@code then} runs on the event loop with the material or the failure to answer with.
     */
    private void resolve(EgressCredentialRule rule, Resolved then) {
        String ref = rule.credentialRef();
        EgressMaterial cached = materials.get(ref);
        if (cached != null && cached.expiresAt().isAfter(Instant.now())) {
            then.accept(cached, null);
            return;
        }
        down.config().setAutoRead(false);
        String sandbox = owner.sandboxId();
        Thread.startVirtualThread(() -> {
            EgressMaterial material = null;
            String failure;
            try {
                Optional<EgressMaterial> found = credentials.resolve(sandbox, ref);
                material = found.orElse(null);
                failure = found.isPresent() ? null : MATERIAL_UNAVAILABLE;
            } catch (EgressCredentials.Failure e) {
                LOG.info("egress: {}: credential {}: {}", sandbox, ref, e.getMessage());
                failure = RESOLUTION_FAILED;
            } catch (RuntimeException e) {
                LOG.warn("egress: {}: credential {} could not be resolved: {}", sandbox, ref, e.getClass().getName());
                failure = RESOLUTION_FAILED;
            }
            EgressMaterial m = material;
            String f = failure;
            down.eventLoop().execute(() -> {
                if (m != null) {
                    materials.put(ref, m);
                }
                if (down.isActive()) {
                    then.accept(m, f);
                }
            });
        });
    }

    private static boolean failOpen(EgressCredentialRule rule) {
        return rule.failurePolicy() == EgressAuthFailurePolicy.FAIL_OPEN;
    }

    // ---- helpers

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

    private static FullHttpResponse json(JsonNode body) {
        byte[] bytes;
        try {
            bytes = Json.mapper().writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        var r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(bytes));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        r.headers().set(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        return r;
    }

    /** Placeholder substitution in a request's header values, decoded query values and body. */
    static final class Substitution {

        private Substitution() {
        }

        static void headersAndQuery(HttpRequest request, EgressMaterial.Placeholders p) {
            for (EgressMaterial.Replacement r : p.replacements()) {
                if (r.locations().contains(PlaceholderSubstitutionLocation.HEADER)) {
                    for (String name : request.headers().names()) {
                        List<String> values = request.headers().getAll(name);
                        if (values.stream().anyMatch(v -> v.contains(r.placeholder()))) {
                            request.headers().set(name, values.stream()
                                    .map(v -> v.replace(r.placeholder(), r.value())).toList());
                        }
                    }
                }
                if (r.locations().contains(PlaceholderSubstitutionLocation.QUERY)) {
                    request.setUri(query(request.uri(), r));
                }
            }
        }

        /** The URI with the placeholder replaced in each decoded query value, re-encoded; unchanged when absent. */
        static String query(String uri, EgressMaterial.Replacement r) {
            int q = uri.indexOf('?');
            if (q < 0) {
                return uri;
            }
            int hash = uri.indexOf('#', q);
            String query = hash < 0 ? uri.substring(q + 1) : uri.substring(q + 1, hash);
            var out = new StringBuilder();
            boolean changed = false;
            for (String pair : query.split("&", -1)) {
                if (!out.isEmpty()) {
                    out.append('&');
                }
                int eq = pair.indexOf('=');
                if (eq < 0) {
                    out.append(pair);
                    continue;
                }
                String value;
                try {
                    value = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    out.append(pair);
                    continue;
                }
                if (value.contains(r.placeholder())) {
                    changed = true;
                    out.append(pair, 0, eq + 1).append(encode(value.replace(r.placeholder(), r.value())));
                } else {
                    out.append(pair);
                }
            }
            if (!changed) {
                return uri;
            }
            return uri.substring(0, q + 1) + out + (hash < 0 ? "" : uri.substring(hash));
        }

        /** Percent-encodes all but RFC 3986's unreserved characters. */
        static String encode(String value) {
            var sb = new StringBuilder();
            for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
                int c = b & 0xff;
                if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.'
                        || c == '_' || c == '~') {
                    sb.append((char) c);
                } else {
                    sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
                }
            }
            return sb.toString();
        }

        /** The body with each body placeholder replaced (the same buffer when none occurs). */
        static ByteBuf body(ByteBuf body, EgressMaterial.Placeholders p, io.netty.buffer.ByteBufAllocator alloc) {
            byte[] bytes = ByteBufUtil.getBytes(body);
            byte[] out = bytes;
            for (EgressMaterial.Replacement r : p.replacements()) {
                if (r.locations().contains(PlaceholderSubstitutionLocation.BODY)) {
                    out = replace(out, r.placeholder().getBytes(StandardCharsets.UTF_8),
                            r.value().getBytes(StandardCharsets.UTF_8));
                }
            }
            return out == bytes ? body : Unpooled.wrappedBuffer(out);
        }

        static byte[] replace(byte[] in, byte[] what, byte[] with) {
            if (what.length == 0) {
                return in;
            }
            var out = new java.io.ByteArrayOutputStream(in.length);
            int i = 0;
            boolean any = false;
            outer:
            while (i <= in.length - what.length) {
                for (int j = 0; j < what.length; j++) {
                    if (in[i + j] != what[j]) {
                        out.write(in[i]);
                        i++;
                        continue outer;
                    }
                }
                out.write(with, 0, with.length);
                i += what.length;
                any = true;
            }
            if (!any) {
                return in;
            }
            out.write(in, i, in.length - i);
            return out.toByteArray();
        }
    }
}
