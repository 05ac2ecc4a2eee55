package ai.sandbox0.node.egress;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An inspected flow's HTTP/2 (TLS with {@code h2} chosen by the destination, or h2c with prior knowledge):
 * each stream the client opens is paired with a stream the proxy opens to the destination, and its request is
 * an {@link InspectedRequest} as on HTTP/1.1: denied with its own 403 (the connection lives on), given its
 * credentials, forwarded; the response and its trailers (gRPC's status) stream back.
 *
 * <p>Both connections run Netty's {@code Http2FrameCodec} and {@code Http2MultiplexHandler}, each stream a
 * child channel seen through {@code Http2StreamFrameToHttpObjectCodec}: a child channel that is not read does
 * not credit its stream's flow-control window, so a slow reader slows only the peer's stream that feeds it and
 * nothing is buffered without bound; closing a child resets its stream; and the HTTP-object view lets the
 * per-request checks be exactly HTTP/1.1's. The object codec writes header names lower-case and leaves out
 * connection-specific headers. Runs on the flow's event loop.
 */
final class Http2Inspection {

    private static final Logger LOG = LoggerFactory.getLogger(Http2Inspection.class);

    /** Streams a client may have open at once. */
    static final int MAX_STREAMS = 100;
    private static final int MAX_HEADER_LIST = 64 * 1024;

    private final InspectedRequest.Connection connection;
    private final Channel down;
    private final Channel up;
    private final Runnable close;
    private int streams;
    private boolean goingAway;

    /** @param close ends both connections once what was written has gone out */
    Http2Inspection(InspectedRequest.Connection connection, Channel down, Channel up, Runnable close) {
        this.connection = connection;
        this.down = down;
        this.up = up;
        this.close = close;
    }

    /**
     * Adds the codecs to both connections (their TLS, if any, already in place). Closing a connection closes it
     * at once, as on HTTP/1.1 (a cut is a cut); GOAWAY is passed on by {@link ConnectionSide} instead.
     */
    void start() {
        up.pipeline().addLast(
                Http2FrameCodecBuilder.forClient()
                        .initialSettings(Http2Settings.defaultSettings().pushEnabled(false).maxHeaderListSize(MAX_HEADER_LIST))
                        .decoupleCloseAndGoAway(true)
                        .build(),
                new Http2MultiplexHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel pushed) {
                        pushed.close(); // pushes were not asked for
                    }
                }),
                new ConnectionSide("upstream", down));
        down.pipeline().addLast(
                Http2FrameCodecBuilder.forServer()
                        .initialSettings(Http2Settings.defaultSettings().maxConcurrentStreams(MAX_STREAMS)
                                .maxHeaderListSize(MAX_HEADER_LIST))
                        .decoupleCloseAndGoAway(true)
                        .build(),
                new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                    @Override
                    protected void initChannel(Http2StreamChannel client) {
                        new Stream(client);
                    }
                }),
                new ConnectionSide("client side", up));
    }

    /** The client ended its side of the connection: it ends once its streams have. */
    void downEnded() {
        goingAway = true;
        closeIfDone();
    }

    private void closeIfDone() {
        if (goingAway && streams == 0) {
            close.run();
        }
    }

    /** Frames of either connection that are not a stream's: GOAWAY is passed on, the end of one ends both. */
    private final class ConnectionSide extends ChannelInboundHandlerAdapter {

        private final String name;
        private final Channel other;

        ConnectionSide(String name, Channel other) {
            this.name = name;
            this.other = other;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Http2GoAwayFrame goAway) {
                // No new streams from here on: the other peer is told so too (its open streams finish); the
                // streams the one going away will not serve are reset with REFUSED_STREAM, safe to retry.
                if (!goingAway && other.isActive()) {
                    other.writeAndFlush(new DefaultHttp2GoAwayFrame(goAway.errorCode()));
                }
                goingAway = true;
                closeIfDone();
            }
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            ReferenceCountUtil.release(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            close.run();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("egress: {} → {}: HTTP/2 {}: {}", connection.sandboxId(), connection.destination(), name,
                    cause.toString());
            close.run();
        }
    }

    /** One client stream, the destination's stream paired with it, and the request between them. */
    private final class Stream implements InspectedRequest.Sides {

        private final Http2StreamChannel client;
        private final ArrayDeque<HttpObject> inbox = new ArrayDeque<>();
        private final ArrayDeque<HttpObject> unsent = new ArrayDeque<>();
        private Http2StreamChannel upstream;
        private InspectedRequest request;
        private boolean responseStarted;
        private boolean responseEnded;
        private boolean reset;

        Stream(Http2StreamChannel client) {
            this.client = client;
            streams++;
            client.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true), new ClientStream());
            // Opened at once, used once the request is let through: an HTTP/2 stream exists on the wire only
            // from its first HEADERS, so a denied request costs the destination nothing.
            new Http2StreamChannelBootstrap(up).handler(new ChannelInitializer<Http2StreamChannel>() {
                @Override
                protected void initChannel(Http2StreamChannel ch) {
                    ch.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(false), new UpstreamStream());
                }
            }).open().addListener(this::opened);
        }

        private void opened(Future<? super Http2StreamChannel> f) {
            if (!f.isSuccess()) {
                LOG.debug("egress: {} → {}: no upstream stream: {}", connection.sandboxId(), connection.destination(),
                        String.valueOf(f.cause()));
                resetClient(Http2Error.REFUSED_STREAM);
                return;
            }
            upstream = (Http2StreamChannel) f.getNow();
            if (!client.isActive() || request != null && request.answered()) {
                upstream.close();
                return;
            }
            HttpObject o;
            while ((o = unsent.poll()) != null) {
                upstream.write(o);
            }
            upstream.flush();
            pump();
        }

        /** Feeds the request what the client sent, as far as its decision lets it. */
        private void pump() {
            while (!inbox.isEmpty() && (request == null || !request.deciding())) {
                HttpObject o = inbox.poll();
                if (request == null && o instanceof HttpRequest head) {
                    request = new InspectedRequest(connection, head, this);
                    request.begin();
                } else if (request != null && !request.ended() && o instanceof HttpContent c) {
                    request.content(c);
                } else {
                    ReferenceCountUtil.release(o);
                }
            }
            if (upstream != null) {
                upstream.flush();
            }
            boolean waiting = request != null && request.deciding();
            client.config().setAutoRead(!waiting && (upstream == null || upstream.isWritable()));
        }

        // ---- what the request does through this stream

        @Override
        public void forward(HttpObject o) {
            if (upstream == null) {
                unsent.add(o);
                return;
            }
            upstream.write(o);
            if (!upstream.isWritable()) {
                client.config().setAutoRead(false);
            }
        }

        @Override
        public void answer(FullHttpResponse response) {
            responseStarted = true;
            responseEnded = true;
            request.responded(response);
            client.writeAndFlush(response);
            if (upstream != null) {
                upstream.close(); // nothing was sent on it
            }
        }

        @Override
        public void interim(HttpResponse response) {
            client.writeAndFlush(response);
        }

        @Override
        public void requestEnded() {
        }

        @Override
        public void decidedLater() {
            pump();
        }

        @Override
        public boolean live() {
            return client.isActive();
        }

        @Override
        public ByteBufAllocator alloc() {
            return client.alloc();
        }

        // ---- endings

        private void resetClient(Http2Error error) {
            if (!reset && client.isActive()) {
                reset = true;
                client.writeAndFlush(new DefaultHttp2ResetFrame(error));
            }
        }

        private void resetUpstream(long errorCode) {
            if (upstream == null || !upstream.isActive()) {
                return;
            }
            if (upstream.stream().id() > 0) {
                upstream.writeAndFlush(new DefaultHttp2ResetFrame(errorCode));
            } else {
                upstream.close();
            }
        }

        private void release() {
            HttpObject o;
            while ((o = inbox.poll()) != null) {
                ReferenceCountUtil.release(o);
            }
            while ((o = unsent.poll()) != null) {
                ReferenceCountUtil.release(o);
            }
            if (request != null) {
                request.release();
                request.finished();
            }
        }

        /** The client's stream. */
        private final class ClientStream extends ChannelInboundHandlerAdapter {

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof HttpObject o) {
                    inbox.add(o);
                    pump();
                } else {
                    ReferenceCountUtil.release(msg);
                }
            }

            @Override
            public void channelWritabilityChanged(ChannelHandlerContext ctx) {
                if (upstream != null) {
                    upstream.config().setAutoRead(client.isWritable());
                }
            }

            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                if (evt instanceof Http2ResetFrame r) {
                    reset = true; // the client gave up on it: so does the destination
                    resetUpstream(r.errorCode());
                }
                ReferenceCountUtil.release(evt);
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                streams--;
                release();
                if (upstream != null && upstream.isActive()) {
                    upstream.close(); // resets it if it is still open
                }
                closeIfDone();
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                LOG.debug("egress: {} → {}: client stream: {}", connection.sandboxId(), connection.destination(),
                        cause.toString());
                ctx.close();
            }
        }

        /** The destination's stream. */
        private final class UpstreamStream extends ChannelInboundHandlerAdapter {

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (!(msg instanceof HttpObject) || !client.isActive() || request == null || request.answered()) {
                    ReferenceCountUtil.release(msg);
                    return;
                }
                boolean interim = msg instanceof HttpResponse r && r.status().equals(HttpResponseStatus.CONTINUE);
                responseStarted |= msg instanceof HttpResponse && !interim;
                responseEnded |= msg instanceof LastHttpContent && !interim;
                request.responded((HttpObject) msg);
                client.write(msg);
                if (msg instanceof LastHttpContent) {
                    // The destination's stream closes on its last frame, before a read-complete would flush.
                    client.flush();
                } else if (!client.isWritable()) {
                    ctx.channel().config().setAutoRead(false);
                }
            }

            @Override
            public void channelReadComplete(ChannelHandlerContext ctx) {
                client.flush();
            }

            @Override
            public void channelWritabilityChanged(ChannelHandlerContext ctx) {
                if (request != null && request.streaming() && !request.ended()) {
                    client.config().setAutoRead(ctx.channel().isWritable());
                }
            }

            @Override
            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                if (evt instanceof Http2ResetFrame r && !reset && client.isActive()) {
                    reset = true; // the destination gave up on it: the client is told with the same code
                    client.writeAndFlush(new DefaultHttp2ResetFrame(r.errorCode()));
                }
                ReferenceCountUtil.release(evt);
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                if (!responseEnded) {
                    // Closed under a response: the destination went away (GOAWAY, connection lost). Before
                    // any of the response, the client may safely try the request again.
                    resetClient(responseStarted ? Http2Error.CANCEL : Http2Error.REFUSED_STREAM);
                }
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                LOG.debug("egress: {} → {}: upstream stream: {}", connection.sandboxId(), connection.destination(),
                        cause.toString());
                ctx.close();
            }
        }
    }
}
