package ai.sandbox0.node.egress;

import ai.sandbox0.api.network.EgressAuthFailurePolicy;
import ai.sandbox0.api.network.EgressAuthProtocol;
import ai.sandbox0.api.network.EgressCredentialRule;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.DefaultHttpRequest;
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
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An inspected flow's HTTP: the client's connection ends at the proxy (inside TLS under a leaf of the node's
 * CA when the flow is TLS), the proxy holds its own connection to the original destination (TLS re-originated
 * and verified), and each request in between is an {@link InspectedRequest}: checked, given its credentials,
 * forwarded or answered; responses stream back as they come.
 *
 * <p>The protocol is the destination's: the proxy offers it what the client offered in ALPN ({@code h2},
 * {@code http/1.1}), then offers the client only what the destination chose, so neither side is downgraded.
 * HTTP/2 (and h2c with prior knowledge) is carried stream by stream by {@link Http2Inspection}; HTTP/1.1 here,
 * one request at a time (the next is read once the response to the last has ended), and after a {@code 101}
 * (WebSocket) as raw bytes both ways. Runs on the flow's event loop.
 */
final class HttpInspection {

    private static final Logger LOG = LoggerFactory.getLogger(HttpInspection.class);

    /** Decoded objects held while a request is decided before reading stops. */
    private static final int INBOX_HIGH = 64;

    interface Owner {
        String sandboxId();

        Channel down();

        Destination destination();

        /** The protocols the client offered in its ClientHello (ALPN), in its order. */
        List<String> alpn();

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

        /** A request on this connection is over: its audit record (see {@link InspectedRequest.Audit}). */
        void auditRequest(EgressRecord.Request request, boolean allowed, String reason, long out, long in,
                java.time.Instant opened);
    }

    /** One HTTP/1.1 request and its response. */
    private final class Exchange implements InspectedRequest.Sides {
        final InspectedRequest request;
        final boolean keepAlive;
        boolean requestEnded;
        boolean responseEnded;
        boolean responseStarted;
        boolean informational;
        boolean upgrading;
        boolean closeAfter;

        Exchange(HttpRequest head) {
            this.request = new InspectedRequest(connection, head, this);
            this.keepAlive = HttpUtil.isKeepAlive(head);
        }

        @Override
        public void forward(HttpObject o) {
            up.write(o);
            if (!up.isWritable()) {
                down.config().setAutoRead(false);
            }
        }

        @Override
        public void answer(FullHttpResponse response) {
            respond(response, false);
        }

        @Override
        public void interim(HttpResponse response) {
            down.writeAndFlush(response);
        }

        @Override
        public void requestEnded() {
            requestEnded = true;
            ended();
        }

        @Override
        public void decidedLater() {
            pump();
        }

        @Override
        public boolean live() {
            return exchange == this && !closing;
        }

        @Override
        public ByteBufAllocator alloc() {
            return down.alloc();
        }
    }

    private final Owner owner;
    private final FlowHandling.Inspect plan;
    private final UpstreamTls upstreamTls;
    private final MitmAuthority authority;
    private final Channel down;
    private final InspectedRequest.Connection connection;
    private final ArrayDeque<HttpObject> inbox = new ArrayDeque<>();
    private Channel up;
    private Exchange exchange;
    private Http2Inspection http2;
    private boolean upgraded;
    private boolean downEnded;
    private boolean closing;

    HttpInspection(Owner owner, FlowHandling.Inspect plan, EgressCredentials credentials, UpstreamTls upstreamTls,
            MitmAuthority authority) {
        this.owner = owner;
        this.plan = plan;
        this.upstreamTls = upstreamTls;
        this.authority = authority;
        this.down = owner.down();
        this.connection = new InspectedRequest.Connection(plan,
                new BindingMaterial(owner.sandboxId(), credentials, down.eventLoop(), down::isActive),
                owner.sandboxId(), owner.destination(), owner::auditRequest);
    }

    // ---- setting up both sides

    /**
     * Connects to the destination: over TLS with the client certificate of the first {@code tls} credential
     * rule for it, resolved first (without one when there is none, or it fails open), offering the client's
     * protocols.
     */
    void start(UpstreamRoute route) {
        if (!plan.tls()) {
            connect(route, null);
            return;
        }
        List<String> offered = offered(owner.alpn());
        Optional<EgressCredentialRule> tlsRule = plan.credentialRules().stream()
                .filter(r -> r.protocol() == EgressAuthProtocol.TLS).findFirst();
        if (tlsRule.isEmpty()) {
            connect(route, upstreamTls.context(offered));
            return;
        }
        EgressCredentialRule rule = tlsRule.get();
        connection.material().resolve(rule, (material, failure) -> {
            SslContext context = null;
            if (failure == null && material instanceof EgressMaterial.ClientCertificate cert) {
                try {
                    context = upstreamTls.context(cert, offered);
                } catch (IllegalArgumentException e) {
                    failure = BindingMaterial.MATERIAL_UNAVAILABLE;
                }
            } else if (failure == null) {
                failure = BindingMaterial.MATERIAL_UNAVAILABLE;
            }
            if (context == null) {
                if (rule.failurePolicy() == EgressAuthFailurePolicy.FAIL_OPEN) {
                    context = upstreamTls.context(offered);
                } else {
                    LOG.debug("egress: {} → {}: client certificate: {}", owner.sandboxId(), owner.destination(), failure);
                    owner.cut();
                    return;
                }
            }
            connect(route, context);
        });
    }

    /** What the destination is offered: the client's HTTP protocols in its order; HTTP/1.1 when it named none. */
    static List<String> offered(List<String> alpn) {
        List<String> http = alpn.stream().filter(p -> p.equals(ApplicationProtocolNames.HTTP_2)
                || p.equals(ApplicationProtocolNames.HTTP_1_1)).distinct().toList();
        return http.isEmpty() ? List.of(ApplicationProtocolNames.HTTP_1_1) : http;
    }

    /** Connects to the destination the flow's way (directly or through the policy's SOCKS5 upstream). */
    private void connect(UpstreamRoute route, SslContext tls) {
        Destination d = owner.destination();
        java.net.InetSocketAddress original = route.original();
        String peer = d.host() != null ? d.host() : original.getAddress().getHostAddress();
        route.connect(p -> {
            p.addLast(new UpCounter());
            if (tls != null) {
                p.addLast(tls.newHandler(p.channel().alloc(), peer, original.getPort()), new Negotiated());
            }
        }, new UpstreamRoute.Outcome() {
            @Override
            public void channel(Channel ch) {
                up = ch;
                owner.upstream(up);
            }

            @Override
            public void ready() {
                if (tls == null) {
                    HttpInspection.this.ready(plan.priorKnowledge() ? ApplicationProtocolNames.HTTP_2
                            : ApplicationProtocolNames.HTTP_1_1);
                }
                // Over TLS, Negotiated goes on once the destination's handshake is done.
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

    /** The destination's TLS is up (its certificate verified) and it chose the protocol; reads wait until then. */
    private final class Negotiated extends ApplicationProtocolNegotiationHandler {

        Negotiated() {
            super(ApplicationProtocolNames.HTTP_1_1);
        }

        @Override
        protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
            ready(protocol);
        }

        @Override
        protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
            // The destination's certificate did not verify (or its TLS failed): the client is refused.
            LOG.info("egress: {} → {}: upstream TLS refused: {}", owner.sandboxId(), owner.destination(),
                    String.valueOf(cause));
            owner.cut();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof DecoderException && cause.getCause() instanceof SSLException) {
                handshakeFailure(ctx, cause.getCause());
                return;
            }
            LOG.debug("egress: {} → {}: upstream: {}", owner.sandboxId(), owner.destination(), cause.toString());
            owner.cut();
        }
    }

    /** The upstream speaks {@code protocol}: the client's side is terminated (offering only that) and decoded. */
    private void ready(String protocol) {
        if (!down.isActive()) {
            return;
        }
        ChannelPipeline p = down.pipeline();
        if (plan.tls()) {
            Destination d = owner.destination();
            String name = d.host() != null ? d.host() : d.address().getHostAddress();
            p.addLast(authority.leaf(name).context(protocol).newHandler(down.alloc()));
        }
        if (protocol.equals(ApplicationProtocolNames.HTTP_2)) {
            http2 = new Http2Inspection(connection, down, up, this::close);
            http2.start();
        } else {
            up.pipeline().addLast(new HttpClientCodec(8192, 64 * 1024, 16 * 1024), new UpSide());
            p.addLast(new HttpServerCodec(8192, 64 * 1024, 16 * 1024), new DownSide());
        }
        owner.inspecting();
    }

    /** The client ended its side: once nothing is in flight, the flow ends. */
    void downEnded() {
        downEnded = true;
        if (http2 != null) {
            http2.downEnded();
        } else if (upgraded || exchange == null && inbox.isEmpty()) {
            close();
        }
    }

    // ---- the client's requests

    private final class DownSide extends ChannelInboundHandlerAdapter {

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (upgraded && msg instanceof ByteBuf b && !closing) {
                up.write(b);
                if (!up.isWritable()) {
                    down.config().setAutoRead(false);
                }
                return;
            }
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
        while (!inbox.isEmpty() && !closing && !upgraded) {
            if (exchange != null && (exchange.request.deciding() || exchange.requestEnded)) {
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
            exchange.request.content((HttpContent) o);
        }
        if (up != null) {
            up.flush();
        }
        if (!closing && !upgraded && down.isActive()) {
            boolean waiting = exchange != null && exchange.request.deciding();
            down.config().setAutoRead(!waiting && inbox.size() <= INBOX_HIGH && (up == null || up.isWritable()));
        }
    }

    private void begin(HttpRequest request) {
        if (request.decoderResult().isFailure()) {
            ReferenceCountUtil.release(request);
            exchange = new Exchange(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/"));
            exchange.closeAfter = true;
            exchange.request.malformed();
            return;
        }
        exchange = new Exchange(request);
        exchange.request.begin();
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
            if (upgraded && msg instanceof ByteBuf b && !closing) {
                down.write(b);
                if (!down.isWritable()) {
                    ctx.channel().config().setAutoRead(false);
                }
                return;
            }
            Exchange x = exchange;
            if (x == null || x.request.answered() || closing || !(msg instanceof HttpObject)) {
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
                x.upgrading = code == 101;
                if (!x.informational && !x.upgrading && !HttpUtil.isKeepAlive(response)) {
                    x.closeAfter = true;
                }
            }
            boolean last = msg instanceof LastHttpContent;
            x.request.responded((HttpObject) msg);
            down.write(msg);
            if (!down.isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
            if (last && x.upgrading) {
                upgrade(x);
            } else if (last && !x.informational) {
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
            if (upgraded || x != null && x.request.streaming() && !x.requestEnded) {
                down.config().setAutoRead(ctx.channel().isWritable());
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent && upgraded) {
                close(); // the upgraded protocol ended its stream: what was sent goes out, then both close
            }
            ReferenceCountUtil.release(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            Exchange x = exchange;
            if (x != null && !x.responseStarted && !x.request.answered() && !closing) {
                x.closeAfter = true;
                x.request.drop();
                respond(InspectedRequest.plain(HttpResponseStatus.BAD_GATEWAY, "the destination closed the connection"),
                        true);
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

    /**
     * The destination switched protocols (WebSocket) for a request that was checked and given its credentials:
     * from here on both directions are relayed as bytes. What the codecs still hold goes on as bytes too.
     */
    private void upgrade(Exchange x) {
        upgraded = true;
        exchange = null;
        x.request.release();
        x.request.finished();
        release();
        down.flush();
        up.pipeline().remove(HttpClientCodec.class);
        down.pipeline().remove(HttpServerCodec.class);
        up.flush();
        down.flush();
        if (downEnded) {
            close();
            return;
        }
        up.config().setAutoRead(down.isWritable());
        down.config().setAutoRead(up.isWritable());
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
        x.request.responded(response);
        down.writeAndFlush(response);
        ended();
    }

    /** The exchange is over when both its request and its response are: the next request may come. */
    private void ended() {
        Exchange x = exchange;
        if (x == null || !x.requestEnded || !x.responseEnded) {
            return;
        }
        x.request.release();
        x.request.finished();
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
        if (exchange != null) {
            exchange.request.release();
            exchange.request.finished();
        }
    }
}
