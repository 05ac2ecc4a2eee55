package ai.sandbox0.node.egress;

import ai.sandbox0.api.network.EgressAuthFailurePolicy;
import ai.sandbox0.api.network.EgressAuthProtocol;
import ai.sandbox0.api.network.EgressCredentialRule;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One redirected connection of a sandbox, from accept to close: the checks, the classification of its first
 * bytes (held, not consumed), the decision, the upstream connection and the relay both ways. Everything runs
 * on the accepted channel's event loop (the upstream channel shares it), so no state here is locked.
 */
final class Flow extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(Flow.class);

    /** How long a client may stay silent before a flow is decided without its first bytes (server-first protocols). */
    static final long CLASSIFY_WAIT_MILLIS = 250;

    private enum State { ACCEPTED, CLASSIFYING, RELAYING, INSPECTING, CLOSED }

    private final EgressProxy proxy;
    private final EpollSocketChannel down;
    private final Instant opened = Instant.now();
    private InetAddress source;
    private String sandboxId;
    private InetSocketAddress original;
    private Destination destination;
    private List<String> alpn = List.of();
    private Verdict verdict;
    private State state = State.ACCEPTED;
    private boolean classified;
    private boolean connecting;
    private boolean upReady;
    private Channel up;
    private CompositeByteBuf held;
    private ScheduledFuture<?> timer;
    private boolean downEof;
    private boolean upEof;
    private long out;
    private long in;
    private long unmeteredOut;
    private long unmeteredIn;
    private HttpInspection inspection;
    /** The login rule of a Redis or MQTT flow the proxy logs in for. */
    private EgressCredentialRule loginRule;
    /** What the client sends passes through this on its way up (a Redis or MQTT login). */
    private ClientRewrite rewrite;
    /** A Redis flow: the proxy's own AUTH, whose answer is awaited while {@code awaitingAuth}. */
    private RedisLogin redisAuth;
    private boolean awaitingAuth;
    private boolean authSent;

    Flow(EgressProxy proxy, EpollSocketChannel down) {
        this.proxy = proxy;
        this.down = down;
    }

    InetAddress source() {
        return source;
    }

    // ---- accept: who, where to, may it

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        source = IpRange.canonical(((InetSocketAddress) down.remoteAddress()).getAddress());
        Optional<SandboxEgress> sandbox = proxy.policies.of(source);
        if (sandbox.isEmpty() || sandbox.get().policy() == null) {
            reset();
            return;
        }
        sandboxId = sandbox.get().sandboxId();
        Optional<InetSocketAddress> dst;
        try {
            dst = OriginalDestination.of(down.fd().intValue());
        } catch (RuntimeException e) {
            LOG.warn("egress: no original destination for {}: {}", source, e.getMessage());
            dst = Optional.empty();
        }
        if (dst.isEmpty() || proxy.isSelf(dst.get())) {
            reset();
            return;
        }
        original = dst.get();
        destination = Destination.of(original.getAddress(), original.getPort(), Transport.TCP);
        Verdict platform = proxy.platform.check(original.getAddress());
        if (platform != null) {
            refuse(platform);
            return;
        }
        if (!proxy.hooks.admission().mayOpen(sandboxId)) {
            refuse(new Verdict(false, "quota"));
            return;
        }
        proxy.opened(this);
        down.closeFuture().addListener(f -> ended());
        state = State.CLASSIFYING;
        held = down.alloc().compositeDirectBuffer(64);
        EgressPolicy policy = sandbox.get().policy();
        if (decidedByAddress(policy)) {
            // Nothing the first bytes or a name could say changes the decision: connect while they come.
            verdict = policy.decide(destination);
            if (!verdict.allowed()) {
                refuse(verdict);
                return;
            }
            connect(policy);
        }
        timer = down.eventLoop().schedule(() -> classified(true), CLASSIFY_WAIT_MILLIS, TimeUnit.MILLISECONDS);
    }

    // ---- the sandbox's side

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf buf = (ByteBuf) msg;
        switch (state) {
            case RELAYING -> {
                int n = buf.readableBytes();
                out += n;
                unmeteredOut += n;
                toUpstream(buf);
                if (up.isOpen() && !up.isWritable()) {
                    down.config().setAutoRead(false);
                }
            }
            case INSPECTING -> {
                int n = buf.readableBytes();
                out += n;
                unmeteredOut += n;
                ctx.fireChannelRead(buf);
            }
            case CLASSIFYING -> {
                if (classified) {
                    // Read while the upstream connects: kept with the first bytes.
                    held.addComponent(true, buf);
                    down.config().setAutoRead(false);
                } else {
                    held.addComponent(true, buf);
                    if (FirstBytes.classify(held, held.readableBytes() >= FirstBytes.MAX) != null) {
                        classified(false);
                    }
                }
            }
            default -> ReferenceCountUtil.release(buf);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (state == State.RELAYING) {
            up.flush();
            meter();
        } else if (state == State.INSPECTING) {
            ctx.fireChannelReadComplete();
            meter();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (state == State.RELAYING && up != null) {
            up.config().setAutoRead(down.isWritable());
        } else if (state == State.INSPECTING) {
            ctx.fireChannelWritabilityChanged();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            downEof = true;
            if (state == State.CLASSIFYING && !classified) {
                classified(true);
            } else if (state == State.RELAYING) {
                halfClose(up);
            } else if (state == State.INSPECTING) {
                inspection.downEnded();
            }
            closeIfBothEnded();
        }
        ReferenceCountUtil.release(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (up != null && up.isOpen()) {
            up.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("egress: {} → {}: {}", source, original, cause.toString());
        cut(null);
    }

    // ---- classification and decision

    /** The first bytes are known (or no more will be waited for): name the flow, decide it, connect. */
    private void classified(boolean last) {
        if (state != State.CLASSIFYING || classified) {
            return;
        }
        classified = true;
        if (timer != null) {
            timer.cancel(false);
        }
        Classification c = FirstBytes.classify(held, true);
        String host = c.host() != null ? c.host()
                : proxy.names.nameOf(source, original.getAddress()).orElse(null);
        destination = new Destination(original.getAddress(), original.getPort(), Transport.TCP, host, c.app());
        alpn = c.alpn();
        Optional<SandboxEgress> now = proxy.policies.of(source);
        if (now.isEmpty() || now.get().policy() == null || !now.get().sandboxId().equals(sandboxId)) {
            cut(new Verdict(false, "sandbox removed"));
            return;
        }
        EgressPolicy policy = now.get().policy();
        verdict = policy.decide(destination);
        if (!verdict.allowed()) {
            cut(verdict);
            return;
        }
        if (upReady) {
            relay();
        } else if (!connecting) {
            down.config().setAutoRead(false);
            connect(policy);
        } else {
            down.config().setAutoRead(false);
        }
    }

    /** A policy change: cut this flow when its new policy denies what it was classified as. */
    void recheck(SandboxEgress entry) {
        down.eventLoop().execute(() -> {
            if (state == State.CLOSED || state == State.ACCEPTED || !entry.sandboxId().equals(sandboxId)) {
                return;
            }
            if (entry.policy() == null) {
                cut(new Verdict(false, "sandbox removed"));
                return;
            }
            if (!classified && !connecting) {
                return; // decided when classified, by the policy then in force
            }
            Verdict v = entry.policy().decide(destination);
            if (!v.allowed()) {
                cut(v);
            } else if (classified) {
                verdict = v;
            }
        });
    }

    // ---- upstream

    private void connect(EgressPolicy policy) {
        connecting = true;
        FlowHandling handling = FlowHandling.choose(policy, destination, destination.app(), h2Preface(),
                proxy.authority != null);
        switch (handling) {
            case FlowHandling.Passthrough p -> connectUpstream(policy);
            case FlowHandling.Inspect i -> {
                inspection = new HttpInspection(new Inspected(), i, proxy.hooks.credentials(), proxy.upstreamTls,
                        proxy.authority);
                inspection.start(route(policy, bootstrap()));
            }
            case FlowHandling.RedisAuth r -> login(policy, r.rule());
            case FlowHandling.MqttAuth m -> login(policy, m.rule());
            case FlowHandling.SshProxy s -> {
                if (policy.upstreamProxy() != null) {
                    cut(new Verdict(false, "ssh_proxy through egress.proxy"));
                    return;
                }
                proxy.prepareSsh(sandboxId, original, destination.host(), s.rule(),
                        outcome -> down.eventLoop().execute(() -> sshPrepared(policy, outcome)));
            }
        }
    }

    /** An ssh_proxy flow is relayed, as any other, to the proxy's SSH server; or untouched; or cut. */
    private void sshPrepared(EgressPolicy policy, SshTermination.Outcome outcome) {
        if (state == State.CLOSED) {
            return;
        }
        switch (outcome) {
            case SshTermination.Outcome.Terminate t -> {
                var connected = bootstrap().option(ChannelOption.AUTO_READ, false).handler(new UpstreamSide())
                        .connect(t.server());
                up = connected.channel();
                connected.addListener(f -> {
                    if (!f.isSuccess()) {
                        LOG.debug("egress: {} → {}: ssh_proxy server: {}", source, original, String.valueOf(f.cause()));
                        cut(null);
                        return;
                    }
                    t.bind(up);
                    upstreamReady();
                });
            }
            case SshTermination.Outcome.Untouched u -> connectUpstream(policy);
            case SshTermination.Outcome.Refused r -> cut(new Verdict(false, r.reason()));
        }
    }

    /** The way to the destination: directly, or through the policy's SOCKS5 upstream. */
    private UpstreamRoute route(EgressPolicy policy, Bootstrap bootstrap) {
        return new UpstreamRoute(down, bootstrap, original, destination, policy.upstreamProxy(), sandboxId,
                proxy.hooks.credentials(), proxy.platform);
    }

    private boolean h2Preface() {
        return held != null && held.readableBytes() >= 4
                && held.toString(held.readerIndex(), 4, java.nio.charset.StandardCharsets.US_ASCII).equals("PRI ");
    }

    /** What the inspection of this flow sees of it. */
    private final class Inspected implements HttpInspection.Owner {

        @Override
        public void auditRequest(EgressRecord.Request request, boolean allowed, String reason, long out, long in,
                Instant opened) {
            Destination d = destination;
            proxy.hooks.audit().record(new EgressRecord(sandboxId, d.address(), d.port(), d.host(), d.app(), allowed,
                    reason != null ? reason : verdict.reason(), out, in, opened, Instant.now(), request));
        }

        @Override
        public String sandboxId() {
            return sandboxId;
        }

        @Override
        public Channel down() {
            return down;
        }

        @Override
        public Destination destination() {
            return destination;
        }

        @Override
        public List<String> alpn() {
            return alpn;
        }

        @Override
        public void upstream(Channel channel) {
            up = channel;
        }

        @Override
        public void inspecting() {
            if (state != State.CLASSIFYING) {
                return;
            }
            state = State.INSPECTING;
            upReady = true;
            ChannelHandlerContext ctx = down.pipeline().context(Flow.this);
            if (held.isReadable()) {
                out += held.readableBytes();
                unmeteredOut += held.readableBytes();
                ctx.fireChannelRead(held);
            } else {
                held.release();
            }
            held = null;
            ctx.fireChannelReadComplete();
            meter();
            if (downEof) {
                inspection.downEnded();
            }
            down.config().setAutoRead(true);
        }

        @Override
        public void countIn(int bytes) {
            in += bytes;
            unmeteredIn += bytes;
        }

        @Override
        public void meter() {
            Flow.this.meter();
        }

        @Override
        public void cut() {
            Flow.this.cut(null);
        }

        @Override
        public void cut(Verdict verdict) {
            Flow.this.cut(verdict);
        }
    }

    private Bootstrap bootstrap() {
        return new Bootstrap()
                .group(down.eventLoop())
                .channel(EpollSocketChannel.class)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.RCVBUF_ALLOCATOR, EgressProxy.RECEIVE)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000);
    }

    private void connectUpstream(EgressPolicy policy) {
        Bootstrap b = bootstrap();
        if (policy.upstreamProxy() == null) {
            // Nothing is read from the destination until the flow is classified (or turns out to be server-first).
            b.option(ChannelOption.AUTO_READ, false);
        }
        route(policy, b).connect(p -> p.addLast(new UpstreamSide()), new UpstreamRoute.Outcome() {
            @Override
            public void channel(Channel ch) {
                up = ch;
            }

            @Override
            public void ready() {
                upstreamReady();
            }

            @Override
            public void failed(Verdict v, Throwable cause) {
                if (v == null) {
                    LOG.debug("egress: {} → {}: upstream failed: {}", source, original, String.valueOf(cause));
                }
                cut(v);
            }
        });
    }

    private void upstreamReady() {
        upReady = true;
        if (state == State.CLOSED) {
            up.close();
            return;
        }
        if (classified) {
            relay();
        } else {
            // The upstream answers first (or the client is still to speak): its bytes go down now.
            up.config().setAutoRead(true);
        }
    }

    // ---- logging in for the sandbox (Redis, MQTT)

    /**
     * The rule's {@code username_password} material is fetched off the event loop (the server may block);
     * then the flow connects with it, or, when it cannot be had, connects without it (fail-open) or is
     * answered in its protocol and ends before the destination sees it (fail-closed).
     */
    private void login(EgressPolicy policy, EgressCredentialRule rule) {
        loginRule = rule;
        new BindingMaterial(sandboxId, proxy.hooks.credentials(), down.eventLoop(), () -> state != State.CLOSED)
                .resolve(rule, (material, failure) -> loginResolved(policy, material,
                        failure != null || material instanceof EgressMaterial.UsernamePassword ? failure
                                : BindingMaterial.MATERIAL_UNAVAILABLE));
    }

    private void loginResolved(EgressPolicy policy, EgressMaterial material, String failure) {
        if (state == State.CLOSED) {
            return;
        }
        boolean redis = loginRule.protocol() == EgressAuthProtocol.REDIS;
        if (failure != null) {
            if (loginRule.failurePolicy() == EgressAuthFailurePolicy.FAIL_OPEN) {
                connectUpstream(policy); // relayed as the client sent it
            } else {
                answerAndClose(new Verdict(false, failure), redis
                        ? RedisLogin.error("NOAUTH egress credential unavailable (" + failure + ")")
                        : MqttLogin.badLogin(held));
            }
            return;
        }
        var login = (EgressMaterial.UsernamePassword) material;
        if (redis) {
            redisAuth = new RedisLogin(login);
            rewrite = redisAuth;
        } else {
            rewrite = new MqttLogin(login);
        }
        connectUpstream(policy);
    }

    /** The upstream answered the proxy's AUTH: the client's commands follow, or it is told it was refused. */
    private void authAnswered(ByteBuf buf) {
        Boolean accepted;
        try {
            accepted = redisAuth.accepted(buf);
        } finally {
            buf.release(); // a Redis server says nothing more until asked
        }
        if (accepted == null) {
            return;
        }
        awaitingAuth = false;
        if (accepted) {
            relay();
            return;
        }
        LOG.info("egress: {} → {}: the upstream refused the login of {}", sandboxId, destination, loginRule.credentialRef());
        if (loginRule.failurePolicy() == EgressAuthFailurePolicy.FAIL_OPEN) {
            rewrite = null;
            relay();
            return;
        }
        answerAndClose(new Verdict(false, "credential rejected by upstream"),
                RedisLogin.error("NOAUTH egress credential rejected by upstream"));
    }

    /** Fail-closed: the client gets {@code answer} (its protocol's refusal) in place of an answer, then the flow ends. */
    private void answerAndClose(Verdict v, ByteBuf answer) {
        verdict = v;
        if (answer == null) {
            cut(null);
            return;
        }
        in += answer.readableBytes();
        unmeteredIn += answer.readableBytes();
        if (up != null) {
            up.close();
        }
        down.config().setAutoRead(false);
        down.writeAndFlush(answer).addListener(ChannelFutureListener.CLOSE);
    }

    /** The client's bytes go up, through the login's rewrite when there is one. */
    private void toUpstream(ByteBuf buf) {
        if (rewrite == null) {
            up.write(buf, up.voidPromise());
            return;
        }
        try {
            rewrite.feed(buf, b -> up.write(b, up.voidPromise()));
        } catch (ClientRewrite.Malformed e) {
            LOG.debug("egress: {} → {}: {}", source, original, e.getMessage());
            cut(null);
        }
    }

    private void relay() {
        if (redisAuth != null && !authSent) {
            // The proxy's own login goes first; the client's first command waits for its answer.
            authSent = true;
            awaitingAuth = true;
            up.writeAndFlush(redisAuth.auth(), up.voidPromise());
            up.config().setAutoRead(true);
            return;
        }
        state = State.RELAYING;
        if (held.isReadable()) {
            out += held.readableBytes();
            unmeteredOut += held.readableBytes();
            toUpstream(held);
            up.flush();
        } else {
            held.release();
        }
        held = null;
        if (state == State.CLOSED || !up.isOpen()) {
            return;
        }
        meter();
        if (downEof) {
            halfClose(up);
        }
        down.config().setAutoRead(up.isWritable());
        up.config().setAutoRead(down.isWritable());
        closeIfBothEnded();
    }

    /** The upstream side of the relay. */
    private final class UpstreamSide extends ChannelInboundHandlerAdapter {

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (state == State.CLOSED) {
                ReferenceCountUtil.release(msg);
                return;
            }
            ByteBuf buf = (ByteBuf) msg;
            if (awaitingAuth) {
                authAnswered(buf);
                return;
            }
            int n = buf.readableBytes();
            in += n;
            unmeteredIn += n;
            down.write(buf, down.voidPromise());
            if (!down.isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            down.flush();
            meter();
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (state == State.RELAYING) {
                down.config().setAutoRead(ctx.channel().isWritable());
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof ChannelInputShutdownEvent) {
                upEof = true;
                halfClose(down);
                closeIfBothEnded();
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (down.isActive()) {
                down.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("egress: {} → {}: upstream: {}", source, original, cause.toString());
            cut(null);
        }
    }

    // ---- ending

    /** Passes an end of stream on: what was read is flushed, then the write side is shut. */
    private static void halfClose(Channel to) {
        if (to.isActive()) {
            to.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> ((DuplexChannel) to).shutdownOutput());
        }
    }

    private void closeIfBothEnded() {
        if (downEof && upEof) {
            down.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            if (up != null) {
                up.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
        }
    }

    /** Refused before anything was relayed: reset, audited. */
    private void refuse(Verdict v) {
        verdict = v;
        state = State.CLOSED;
        proxy.hooks.audit().record(record(Instant.now()));
        reset();
    }

    /** Ends the flow at once with a reset both ways; {@code v} (when given) is the decision that cut it. */
    private void cut(Verdict v) {
        if (v != null) {
            verdict = v;
        }
        reset(down);
        if (up != null) {
            reset(up);
        }
    }

    private void reset() {
        reset(down);
    }

    private static void reset(Channel ch) {
        if (ch.isOpen()) {
            ch.config().setOption(ChannelOption.SO_LINGER, 0);
            ch.close();
        }
    }

    /** The proxy is closing. */
    void shutdown() {
        down.eventLoop().execute(() -> cut(null));
    }

    /** The accepted channel closed: release, meter the rest, audit once. */
    private void ended() {
        boolean wasOpen = state != State.CLOSED;
        state = State.CLOSED;
        if (timer != null) {
            timer.cancel(false);
        }
        if (held != null) {
            held.release();
            held = null;
        }
        if (rewrite != null) {
            rewrite.release();
        }
        proxy.closed(this);
        meter();
        if (wasOpen) {
            if (verdict == null) {
                verdict = new Verdict(false, "closed before classified");
            }
            proxy.hooks.audit().record(record(Instant.now()));
        }
    }

    private void meter() {
        if (unmeteredOut != 0 || unmeteredIn != 0) {
            proxy.hooks.meter().add(sandboxId, unmeteredOut, unmeteredIn);
            unmeteredOut = 0;
            unmeteredIn = 0;
        }
    }

    private EgressRecord record(Instant closed) {
        Destination d = destination;
        return new EgressRecord(sandboxId, d.address(), d.port(), d.host(), d.app(), verdict.allowed(), verdict.reason(),
                out, in, opened, closed);
    }

    // ---- helpers

    /**
     * True when nothing a flow's first bytes or its name could tell changes the policy's decision on it (no
     * rule names domains or protocols) nor how it is carried (a SOCKS5 upstream is given the flow's name;
     * protocol and credential rules pick their flows by name): such a flow connects while its first bytes are
     * still on their way.
     */
    static boolean decidedByAddress(EgressPolicy policy) {
        return policy.upstreamProxy() == null && policy.protocolRules().isEmpty() && policy.credentialRules().isEmpty()
                && policy.rules().stream().allMatch(r -> r.domains().isEmpty() && r.apps().isEmpty())
                && policy.legacy().allowedDomains().isEmpty() && policy.legacy().deniedDomains().isEmpty();
    }
}
