package ai.sandbox0.node.egress;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's DNS resolver for sandboxes. Every query a sandbox sends to port 53 of any address is redirected
 * here by the node's firewall, so this is the only resolver a sandbox has; it answers over UDP and TCP
 * (RFC 7766, length-prefixed, several queries per connection) on one port of every host address.
 * <ul>
 * <li>A query from an address with no policy entry is REFUSED: this is no open resolver for the host's
 * network.</li>
 * <li>A name the sandbox's policy withholds ({@link EgressPolicy#resolvable}) is NXDOMAIN, answered here with
 * the Extended DNS Error "Blocked" (RFC 8914) when the query speaks EDNS, and never forwarded: no address to
 * connect to, and no channel for data encoded in names below a blocked domain.</li>
 * <li>Reverse lookups for the node's own and private networks are NXDOMAIN too, answered here.</li>
 * <li>Everything else is forwarded as it was sent (only the id changes on the way) to the host's nameservers,
 * which sandboxes may not reach themselves, and their answer is relayed; a truncated answer is fetched again
 * over TCP, and one still too large for the sandbox's UDP limit reaches it truncated so it asks over TCP.
 * The A and AAAA answers are recorded in {@link ResolvedNames} under the name asked.</li>
 * </ul>
 * Forwards run on virtual threads, at most {@code maxInFlightPerSource} per sandbox (beyond that SERVFAIL), so
 * one sandbox's flood leaves the others their answers. Malformed messages are dropped (a TCP connection
 * sending one is closed).
 */
public final class SandboxResolver implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SandboxResolver.class);

    /** The most TCP connections one source may hold open at once. */
    private static final int MAX_CONNECTIONS_PER_SOURCE = 64;
    /** An idle TCP connection is closed after this (RFC 7766 §6.2.3 asks for a short idle timeout). */
    private static final Duration TCP_IDLE = Duration.ofSeconds(10);

    /**
     * How the resolver runs.
     *
     * @param port the UDP and TCP port on every host address (0: any free port, see {@link #port()})
     * @param upstreams the nameservers forwarded to, in order
     * @param timeout how long one try waits for one nameserver
     * @param attempts how many rounds over the nameservers before SERVFAIL
     * @param maxInFlightPerSource forwards one sandbox may have outstanding at once
     * @param localReverse networks whose reverse names are answered NXDOMAIN here (the node's pool, the
     *        private and platform-denied ranges: {@link PlatformRules#deniedRanges()})
     */
    public record Settings(int port, List<InetSocketAddress> upstreams, Duration timeout, int attempts,
            int maxInFlightPerSource, List<IpRange> localReverse) {

        public static final int DEFAULT_MAX_IN_FLIGHT = 256;
        /** Below the C library's own 5 s, so that a sandbox hears SERVFAIL rather than nothing. */
        public static final Duration MAX_TIMEOUT = Duration.ofSeconds(2);

        public Settings {
            upstreams = List.copyOf(upstreams);
            localReverse = List.copyOf(localReverse);
            if (upstreams.isEmpty()) {
                throw new IllegalArgumentException("the sandbox resolver needs at least one upstream nameserver");
            }
            if (port < 0 || port > 65535 || attempts < 1 || maxInFlightPerSource < 1 || timeout.isNegative()
                    || timeout.isZero()) {
                throw new IllegalArgumentException("invalid sandbox resolver settings");
            }
        }

        /** Forwarding to the nameservers of the host's {@code /etc/resolv.conf}. */
        public static Settings fromHost(int port, HostResolvConf conf, List<IpRange> localReverse) {
            Duration timeout = conf.timeout().compareTo(MAX_TIMEOUT) > 0 ? MAX_TIMEOUT : conf.timeout();
            return new Settings(port, conf.nameservers(), timeout, conf.attempts(), DEFAULT_MAX_IN_FLIGHT, localReverse);
        }
    }

    /**
     * What the resolver has done since it started.
     *
     * @param answered answers relayed from upstream, and local answers to reverse lookups and odd queries
     * @param blocked names withheld by a sandbox's policy (NXDOMAIN)
     * @param refused queries from addresses that are no sandbox of this node
     * @param failed SERVFAIL: no upstream answered, or the sandbox had too many queries outstanding
     * @param dropped malformed messages
     */
    public record Stats(long answered, long blocked, long refused, long failed, long dropped) {
    }

    private final EgressPolicies policies;
    private final ResolvedNames names;
    private final Settings settings;
    private final UpstreamNameservers upstream;
    private final EventLoopGroup loops;
    private final ExecutorService forwards = Executors.newVirtualThreadPerTaskExecutor();
    private final ConcurrentHashMap<InetAddress, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<InetAddress, AtomicInteger> connections = new ConcurrentHashMap<>();
    private final LongAdder answered = new LongAdder();
    private final LongAdder blocked = new LongAdder();
    private final LongAdder refused = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private final Channel udp;
    private final Channel tcp;

    private SandboxResolver(EgressPolicies policies, ResolvedNames names, Settings settings) throws InterruptedException {
        this.policies = policies;
        this.names = names;
        this.settings = settings;
        this.upstream = new UpstreamNameservers(settings.upstreams(), settings.timeout(), settings.attempts());
        Epoll.ensureAvailability();
        this.loops = new MultiThreadIoEventLoopGroup(2, EpollRegistrations.factory());
        Channel u = null;
        try {
            u = new Bootstrap().group(loops).channel(EpollDatagramChannel.class)
                    .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(65535))
                    .handler(new Datagrams())
                    .bind(new InetSocketAddress(settings.port())).sync().channel();
            int port = ((InetSocketAddress) u.localAddress()).getPort();
            this.tcp = new ServerBootstrap().group(loops).channel(EpollServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new ReadTimeoutHandler(TCP_IDLE.toSeconds(), TimeUnit.SECONDS),
                                    new LengthFieldBasedFrameDecoder(65535, 0, 2, 0, 2), new LengthFieldPrepender(2),
                                    new Stream());
                        }
                    })
                    .bind(new InetSocketAddress(port)).sync().channel();
            this.udp = u;
        } catch (RuntimeException | InterruptedException e) {
            if (u != null) {
                u.close();
            }
            loops.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            forwards.shutdownNow();
            throw e;
        }
    }

    /**
     * Starts answering on {@code settings.port()} of every host address, UDP and TCP.
     *
     * @throws io.netty.channel.ChannelException (or another runtime exception) when the port is taken
     */
    public static SandboxResolver start(EgressPolicies policies, ResolvedNames names, Settings settings)
            throws InterruptedException {
        var resolver = new SandboxResolver(policies, names, settings);
        log.info("sandbox resolver on port {} (UDP and TCP), forwarding to {}", resolver.port(), settings.upstreams());
        return resolver;
    }

    /** The port it answers on (the one chosen when the settings asked for any). */
    public int port() {
        return ((InetSocketAddress) udp.localAddress()).getPort();
    }

    public Stats stats() {
        return new Stats(answered.sum(), blocked.sum(), refused.sum(), failed.sum(), dropped.sum());
    }

    @Override
    public void close() {
        udp.close().syncUninterruptibly();
        tcp.close().syncUninterruptibly();
        forwards.shutdownNow();
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        try {
            forwards.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Answers one query, now or from a virtual thread once upstream has answered.
     *
     * @return false when the message is malformed (a TCP connection is then closed)
     */
    private boolean query(byte[] raw, InetAddress from, boolean overUdp, Consumer<byte[]> reply) {
        InetAddress source = IpRange.canonical(from);
        DnsMessage q;
        try {
            q = DnsMessage.parse(raw);
        } catch (DnsMessage.Malformed e) {
            dropped.increment();
            return false;
        }
        if (q.isResponse()) {
            dropped.increment();
            return false;
        }
        Optional<SandboxEgress> sandbox = policies.of(source).filter(s -> s.policy() != null);
        if (sandbox.isEmpty()) {
            refused.increment();
            reply.accept(DnsMessage.answer(q, raw, DnsMessage.REFUSED, DnsMessage.ExtendedError.PROHIBITED));
            return true;
        }
        if (q.opcode() != 0 || q.questions().isEmpty()) {
            // NOTIFY, UPDATE and the like are not for a stub resolver to pass on
            answered.increment();
            reply.accept(DnsMessage.answer(q, raw, q.opcode() != 0 ? DnsMessage.NOTIMP : DnsMessage.FORMERR, null));
            return true;
        }
        EgressPolicy policy = sandbox.get().policy();
        for (DnsMessage.Question question : q.questions()) {
            if (!policy.resolvable(question.name())) {
                blocked.increment();
                log.debug("sandbox {}: DNS query for {} blocked by its network policy", sandbox.get().sandboxId(),
                        question.name());
                reply.accept(DnsMessage.answer(q, raw, DnsMessage.NXDOMAIN, DnsMessage.ExtendedError.BLOCKED));
                return true;
            }
            if (ReverseName.within(question.name(), settings.localReverse())) {
                answered.increment();
                reply.accept(DnsMessage.answer(q, raw, DnsMessage.NXDOMAIN, null));
                return true;
            }
        }
        if (!acquire(inFlight, source, settings.maxInFlightPerSource())) {
            failed.increment();
            reply.accept(DnsMessage.answer(q, raw, DnsMessage.SERVFAIL, null));
            return true;
        }
        forwards.execute(() -> {
            try {
                forward(raw, q, source, overUdp, reply);
            } finally {
                release(inFlight, source);
            }
        });
        return true;
    }

    private void forward(byte[] raw, DnsMessage q, InetAddress source, boolean overUdp, Consumer<byte[]> reply) {
        Optional<UpstreamNameservers.Reply> answer = upstream.exchange(raw, q);
        if (answer.isEmpty()) {
            failed.increment();
            reply.accept(DnsMessage.answer(q, raw, DnsMessage.SERVFAIL, null));
            return;
        }
        byte[] message = answer.get().message();
        if (overUdp && message.length > q.udpLimit()) {
            message = DnsMessage.truncation(q, raw, answer.get().parsed());
        } else {
            record(source, answer.get().parsed());
        }
        answered.increment();
        reply.accept(message);
    }

    /** Records the addresses answered for each name asked, through the aliases the answer follows. */
    private void record(InetAddress source, DnsMessage response) {
        if (response.rcode() != DnsMessage.NOERROR) {
            return;
        }
        for (DnsMessage.Question question : response.questions()) {
            Set<String> chain = new HashSet<>();
            String current = question.name();
            chain.add(current);
            long ttl = Long.MAX_VALUE;
            for (int hops = 0; hops < 16; hops++) {
                String from = current;
                var alias = response.answers().stream()
                        .filter(a -> a.type() == DnsMessage.TYPE_CNAME && a.name().equals(from)).findFirst();
                if (alias.isEmpty() || !chain.add(alias.get().target())) {
                    break;
                }
                ttl = Math.min(ttl, alias.get().ttl());
                current = alias.get().target();
            }
            for (DnsMessage.Answer a : response.answers()) {
                if (a.address() != null && chain.contains(a.name())) {
                    names.record(source, question.name(), a.address(), Math.min(ttl, a.ttl()));
                }
            }
        }
    }

    private static boolean acquire(ConcurrentHashMap<InetAddress, AtomicInteger> counts, InetAddress source, int max) {
        boolean[] taken = new boolean[1];
        counts.compute(source, (k, n) -> {
            AtomicInteger c = n == null ? new AtomicInteger() : n;
            if (c.get() < max) {
                c.incrementAndGet();
                taken[0] = true;
            }
            return c;
        });
        return taken[0];
    }

    private static void release(ConcurrentHashMap<InetAddress, AtomicInteger> counts, InetAddress source) {
        counts.computeIfPresent(source, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
    }

    /** Queries over UDP: each datagram one query, its answer sent back to where it came from. */
    private final class Datagrams extends SimpleChannelInboundHandler<DatagramPacket> {

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
            InetSocketAddress sender = packet.sender();
            byte[] raw = ByteBufUtil.getBytes(packet.content());
            Channel channel = ctx.channel();
            query(raw, sender.getAddress(), true,
                    answer -> channel.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(answer), sender)));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // an ICMP error for an earlier answer, or a read error: the next datagram is served as usual
            log.debug("sandbox resolver UDP: {}", cause.toString());
        }
    }

    /** Queries over one TCP connection, answered in whatever order upstream answers them (RFC 7766 §6.2.1.1). */
    private final class Stream extends SimpleChannelInboundHandler<ByteBuf> {

        private InetAddress source;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            source = IpRange.canonical(((InetSocketAddress) ctx.channel().remoteAddress()).getAddress());
            if (!acquire(connections, source, MAX_CONNECTIONS_PER_SOURCE)) {
                source = null;
                ctx.close();
                return;
            }
            ctx.fireChannelActive();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (source != null) {
                release(connections, source);
                source = null;
            }
            ctx.fireChannelInactive();
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
            if (source == null) {
                return;
            }
            Channel channel = ctx.channel();
            boolean ok = query(ByteBufUtil.getBytes(frame), source, false,
                    answer -> channel.writeAndFlush(Unpooled.wrappedBuffer(answer)));
            if (!ok) {
                ctx.close();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // a peer that went away, an oversized frame, an idle timeout: only this connection ends
            ctx.close();
        }
    }
}
