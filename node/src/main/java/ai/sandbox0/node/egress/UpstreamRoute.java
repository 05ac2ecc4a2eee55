package ai.sandbox0.node.egress;

import ai.sandbox0.api.network.EgressProxyPolicy;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.proxy.Socks5ProxyHandler;
import io.netty.resolver.NoopAddressResolverGroup;
import java.net.InetSocketAddress;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the proxy reaches a flow's destination: directly at the address the client dialled, or through the
 * policy's SOCKS5 {@code egress.proxy}, which is asked for the flow's name when it has one (its address
 * otherwise) and given the login its {@code credentialRef} binding projects. Relayed, inspected and logged-in
 * flows all leave this way, so none of them can go around the upstream the policy names.
 */
final class UpstreamRoute {

    private static final Logger LOG = LoggerFactory.getLogger(UpstreamRoute.class);

    /** What the connecting side hears, always on the client channel's event loop. */
    interface Outcome {

        /** The upstream channel exists: it is the caller's to close with the client's. */
        void channel(Channel up);

        /** Connected to the destination (through the SOCKS5 proxy's CONNECT when there is one). */
        void ready();

        /**
         * Not connected.
         *
         * @param verdict why, when the flow is refused for a reason its audit record names (the proxy's address,
         *        its login); null for a plain connection failure
         */
        void failed(Verdict verdict, Throwable cause);
    }

    private final Channel down;
    private final Bootstrap bootstrap;
    private final InetSocketAddress original;
    private final Destination destination;
    private final EgressProxyPolicy socks;
    private final String sandboxId;
    private final EgressCredentials credentials;
    private final PlatformRules platform;

    /**
     * @param bootstrap set up for the client channel's event loop; its handler is set here
     * @param socks the policy's SOCKS5 upstream, null to connect directly
     */
    UpstreamRoute(Channel down, Bootstrap bootstrap, InetSocketAddress original, Destination destination,
            EgressProxyPolicy socks, String sandboxId, EgressCredentials credentials, PlatformRules platform) {
        this.down = down;
        this.bootstrap = bootstrap;
        this.original = original;
        this.destination = destination;
        this.socks = socks;
        this.sandboxId = sandboxId;
        this.credentials = credentials;
        this.platform = platform;
    }

    boolean direct() {
        return socks == null;
    }

    InetSocketAddress original() {
        return original;
    }

    /**
     * Connects; {@code handlers} sets up the upstream channel's pipeline (after the SOCKS5 handshake's handler,
     * which holds what they write until the proxy has connected).
     */
    void connect(Consumer<ChannelPipeline> handlers, Outcome outcome) {
        if (socks == null) {
            var connected = bootstrap.handler(initializer(null, handlers)).connect(original);
            outcome.channel(connected.channel());
            connected.addListener(f -> {
                if (f.isSuccess()) {
                    outcome.ready();
                } else {
                    outcome.failed(null, f.cause());
                }
            });
            return;
        }
        HostPort proxyAt = HostPort.parse(socks.address());
        if (proxyAt == null) {
            outcome.failed(new Verdict(false, "proxy address"), null);
            return;
        }
        boolean login = socks.credentialRef() != null && !socks.credentialRef().isBlank();
        if (proxyAt.literal() && !login) {
            viaSocks(proxyAt.resolve(), null, handlers, outcome);
            return;
        }
        // The proxy's name and its login (the policy's binding, from the server) are found off the event loop: the
        // JDK resolver and the server may block. Without its login the flow does not go out at all.
        Thread.startVirtualThread(() -> {
            InetSocketAddress at = proxyAt.resolve();
            EgressMaterial.UsernamePassword found = null;
            String failure = null;
            if (login) {
                if (BindingMaterial.fetch(credentials, sandboxId, socks.credentialRef()).material()
                        instanceof EgressMaterial.UsernamePassword up) {
                    found = up;
                } else {
                    failure = "proxy credentials unavailable";
                }
            }
            EgressMaterial.UsernamePassword c = found;
            String f = failure;
            down.eventLoop().execute(() -> {
                if (f != null) {
                    outcome.failed(new Verdict(false, f), null);
                } else if (down.isOpen()) {
                    viaSocks(at, c, handlers, outcome);
                }
            });
        });
    }

    private void viaSocks(InetSocketAddress proxyAddress, EgressMaterial.UsernamePassword login,
            Consumer<ChannelPipeline> handlers, Outcome outcome) {
        if (proxyAddress == null || platform.denies(proxyAddress.getAddress())) {
            outcome.failed(new Verdict(false, "proxy address"), null);
            return;
        }
        Socks5ProxyHandler handshake = login != null
                ? new Socks5ProxyHandler(proxyAddress, login.username(), login.password())
                : new Socks5ProxyHandler(proxyAddress);
        handshake.setConnectTimeoutMillis(30_000);
        // A named flow reaches its destination through the proxy by name, as the client asked for it.
        InetSocketAddress target = destination.host() != null && !HostPort.isLiteral(destination.host())
                ? InetSocketAddress.createUnresolved(destination.host(), original.getPort()) : original;
        var connected = bootstrap.clone()
                .resolver(NoopAddressResolverGroup.INSTANCE)
                .handler(initializer(handshake, handlers))
                .connect(target);
        outcome.channel(connected.channel());
        connected.addListener(f -> {
            if (!f.isSuccess()) {
                outcome.failed(null, f.cause());
                return;
            }
            // Connected to the proxy; the flow is connected once it has answered the CONNECT.
            handshake.connectFuture().addListener(h -> {
                if (h.isSuccess()) {
                    outcome.ready();
                } else {
                    outcome.failed(null, h.cause());
                }
            });
        });
    }

    private static ChannelInitializer<Channel> initializer(Socks5ProxyHandler handshake, Consumer<ChannelPipeline> handlers) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                if (handshake != null) {
                    ch.pipeline().addLast(handshake);
                }
                handlers.accept(ch.pipeline());
            }
        };
    }
}
