package ai.sandbox0.node.egress;

import ai.sandbox0.api.network.EgressCredentialRule;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's transparent egress proxy: the firewall redirects every TCP connection a sandbox opens to this
 * port; each is classified from its first bytes, decided by the sandbox's policy (and the platform rules
 * before it), and relayed to where it was going, or cut. A policy change re-decides the sandbox's open
 * connections at once.
 */
public final class EgressProxy implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EgressProxy.class);

    /**
     * What the proxy reports to and asks: the audit, the byte meter, quota admission, a SOCKS5 upstream's
     * credentials and the material credential rules inject.
     */
    public record Hooks(EgressAudit audit, EgressMeter meter, EgressAdmission admission, EgressCredentials credentials) {

        public static final Hooks NONE = new Hooks(EgressAudit.NONE, EgressMeter.NONE, EgressAdmission.ALWAYS,
                EgressCredentials.NONE);

        public Hooks withAudit(EgressAudit a) {
            return new Hooks(a, meter, admission, credentials);
        }

        public Hooks withMeter(EgressMeter m) {
            return new Hooks(audit, m, admission, credentials);
        }

        public Hooks withAdmission(EgressAdmission a) {
            return new Hooks(audit, meter, a, credentials);
        }

        /** The material of a sandbox's bindings: injected into inspected requests, and a SOCKS5 upstream's login. */
        public Hooks withCredentials(EgressCredentials c) {
            return new Hooks(audit, meter, admission, c);
        }
    }

    /**
     * How the proxy terminates and re-originates TLS for inspection.
     *
     * @param authority the CA whose leaves sandboxes are shown
     * @param trustedCas CAs the proxy trusts for destinations besides the JDK's
     * @param sshHostKey what the proxy's SSH server ({@code ssh_proxy}) shows sandboxes (null: a new one)
     */
    public record Inspection(MitmAuthority authority, List<X509Certificate> trustedCas, SshHostKey sshHostKey) {

        public Inspection {
            trustedCas = List.copyOf(trustedCas);
        }

        /** Without a kept SSH host key: {@code ssh_proxy} sessions are shown one made for this proxy's life. */
        public Inspection(MitmAuthority authority, List<X509Certificate> trustedCas) {
            this(authority, trustedCas, null);
        }

        /** The certificates of a PEM file. */
        public static List<X509Certificate> readCertificates(java.nio.file.Path file) throws java.io.IOException {
            return UpstreamTls.readCertificates(file);
        }
    }

    /** Reads grow to 1 MiB on a busy flow: fewer system calls per byte relayed. */
    static final AdaptiveRecvByteBufAllocator RECEIVE = new AdaptiveRecvByteBufAllocator(2048, 16 * 1024, 1024 * 1024);

    final EgressPolicies policies;
    final PlatformRules platform;
    final NameRecords names;
    final Hooks hooks;
    /** Null: TLS is never terminated (plain HTTP is still inspected). */
    final MitmAuthority authority;
    final UpstreamTls upstreamTls;
    private final SshHostKey sshHostKey;
    /** Started with the first ssh_proxy flow. */
    private SshTermination ssh;
    private boolean closed;
    private final EventLoopGroup loops;
    private final Channel server;
    private final int port;
    private final ConcurrentHashMap<InetAddress, Set<Flow>> open = new ConcurrentHashMap<>();

    /**
     * Listens on {@code port} of every address (0: any free port, see {@link #port()}).
     *
     * @throws IllegalStateException when the port cannot be bound
     */
    public EgressProxy(int port, EgressPolicies policies, PlatformRules platform, NameRecords names, Hooks hooks) {
        this(port, policies, platform, names, hooks, null);
    }

    /**
     * Listens on {@code port} of every address (0: any free port, see {@link #port()}), terminating TLS for
     * inspection as {@code inspection} says (null: never).
     *
     * @throws IllegalStateException when the port cannot be bound
     */
    public EgressProxy(int port, EgressPolicies policies, PlatformRules platform, NameRecords names, Hooks hooks,
            Inspection inspection) {
        this.authority = inspection == null ? null : inspection.authority();
        this.upstreamTls = new UpstreamTls(inspection == null ? List.of() : inspection.trustedCas());
        this.sshHostKey = inspection == null ? null : inspection.sshHostKey();
        this.policies = policies;
        this.platform = platform;
        this.names = names;
        this.hooks = hooks;
        this.loops = new MultiThreadIoEventLoopGroup(Runtime.getRuntime().availableProcessors(), EpollRegistrations.factory());
        try {
            this.server = new ServerBootstrap()
                    .group(loops)
                    .channel(EpollServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 4096)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.SO_KEEPALIVE, true)
                    .childOption(ChannelOption.RCVBUF_ALLOCATOR, RECEIVE)
                    .childHandler(new ChannelInitializer<EpollSocketChannel>() {
                        @Override
                        protected void initChannel(EpollSocketChannel ch) {
                            ch.pipeline().addLast(new Flow(EgressProxy.this, ch));
                        }
                    })
                    .bind(new InetSocketAddress(port))
                    .syncUninterruptibly()
                    .channel();
        } catch (RuntimeException e) {
            loops.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new IllegalStateException("egress proxy cannot listen on port " + port + ": " + e.getMessage(), e);
        }
        this.port = ((InetSocketAddress) server.localAddress()).getPort();
        policies.onChange(this::changed);
    }

    public int port() {
        return port;
    }

    /** Open connections of the sandbox at {@code source} (for tests and diagnostics). */
    public int openConnections(InetAddress source) {
        Set<Flow> flows = open.get(IpRange.canonical(source));
        return flows == null ? 0 : flows.size();
    }

    void opened(Flow flow) {
        open.compute(flow.source(), (k, flows) -> {
            Set<Flow> s = flows == null ? ConcurrentHashMap.newKeySet() : flows;
            s.add(flow);
            return s;
        });
    }

    void closed(Flow flow) {
        open.computeIfPresent(flow.source(), (k, flows) -> {
            flows.remove(flow);
            return flows.isEmpty() ? null : flows;
        });
    }

    /** The connection is to this proxy itself (a sandbox dialling the redirect target): never relayed. */
    boolean isSelf(InetSocketAddress destination) {
        return destination.getPort() == port && (destination.getAddress().isLoopbackAddress()
                || destination.getAddress().isAnyLocalAddress() || platform.denies(destination.getAddress()));
    }

    /**
     * Tells {@code then}, from a virtual thread, what becomes of a flow {@code rule} ends at the proxy's SSH
     * server, which is started with the first such flow (off the event loop: it binds and spawns threads).
     */
    void prepareSsh(String sandboxId, InetSocketAddress destination, String host, EgressCredentialRule rule,
            Consumer<SshTermination.Outcome> then) {
        Thread.ofVirtual().name("ssh-proxy-prepare").start(() -> {
            SshTermination.Outcome outcome;
            try {
                outcome = ssh().outcome(sandboxId, destination, host, rule, hooks.credentials());
            } catch (RuntimeException e) {
                LOG.warn("egress: {}: ssh_proxy unavailable: {}", sandboxId, e.getMessage());
                outcome = SshTermination.failed(rule, "ssh_proxy unavailable");
            }
            then.accept(outcome);
        });
    }

    private synchronized SshTermination ssh() {
        if (closed) {
            throw new IllegalStateException("egress proxy closed");
        }
        if (ssh == null) {
            ssh = SshTermination.start(sshHostKey != null ? sshHostKey : SshHostKey.ephemeral());
        }
        return ssh;
    }

    private void changed(SandboxEgress entry) {
        Set<Flow> flows = open.get(entry.address());
        if (flows != null) {
            flows.forEach(f -> f.recheck(entry));
        }
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        open.values().forEach(flows -> flows.forEach(Flow::shutdown));
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        synchronized (this) {
            closed = true;
            if (ssh != null) {
                ssh.close();
            }
        }
    }
}
