package ai.sandbox0.node.egress;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * The node's egress data plane: the policies in force, the transparent proxy every sandbox TCP connection is
 * redirected to, and the resolver every sandbox DNS query is redirected to. Both listen on free ports of every
 * host address; the firewall sends sandboxes there and lets nothing else in.
 */
public final class EgressPlane implements AutoCloseable {

    private final EgressPolicies policies;
    private final PlatformRules platform;
    private final ResolvedNames names;
    private final SandboxResolver resolver;
    private final EgressProxy proxy;
    // The server attaches its audit, meter and quota after the node is up; until then nothing is kept.
    private volatile EgressProxy.Hooks hooks = EgressProxy.Hooks.NONE;

    private EgressPlane(EgressPolicies policies, PlatformRules platform, ResolvedNames names, SandboxResolver resolver,
            java.util.function.Function<EgressProxy.Hooks, EgressProxy> proxy) {
        this.policies = policies;
        this.platform = platform;
        this.names = names;
        this.resolver = resolver;
        this.proxy = proxy.apply(new EgressProxy.Hooks(r -> hooks.audit().record(r),
                (id, out, in) -> hooks.meter().add(id, out, in), id -> hooks.admission().mayOpen(id),
                (id, ref) -> hooks.credentials().resolve(id, ref)));
    }

    /**
     * @param nameservers the host's resolvers, which sandboxes' allowed queries go to (none: this host's own)
     */
    public static EgressPlane start(PlatformRules platform, List<String> nameservers) {
        return start(platform, nameservers, null);
    }

    /**
     * @param nameservers the host's resolvers, which sandboxes' allowed queries go to (none: this host's own)
     * @param inspection how TLS is terminated for inspection (null: never; plain HTTP is still inspected)
     */
    public static EgressPlane start(PlatformRules platform, List<String> nameservers, EgressProxy.Inspection inspection) {
        var policies = new EgressPolicies();
        var names = new ResolvedNames(policies);
        List<InetSocketAddress> upstreams = (nameservers.isEmpty() ? List.of("127.0.0.1") : nameservers).stream()
                .map(a -> new InetSocketAddress(InetAddress.ofLiteral(a), 53)).toList();
        var settings = new SandboxResolver.Settings(0, upstreams, SandboxResolver.Settings.MAX_TIMEOUT, 2,
                SandboxResolver.Settings.DEFAULT_MAX_IN_FLIGHT, platform.deniedRanges());
        SandboxResolver resolver;
        try {
            resolver = SandboxResolver.start(policies, names, settings);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting the sandbox resolver", e);
        }
        try {
            return new EgressPlane(policies, platform, names, resolver,
                    hooks -> new EgressProxy(0, policies, platform, names, hooks, inspection));
        } catch (RuntimeException e) {
            resolver.close();
            throw e;
        }
    }

    public EgressPolicies policies() {
        return policies;
    }

    public PlatformRules platform() {
        return platform;
    }

    /** What each sandbox resolved: names for its IP-only flows. */
    public NameRecords names() {
        return names;
    }

    public SandboxResolver resolver() {
        return resolver;
    }

    /**
     * Where the server's audit, metering, quota, proxy credentials and injected credentials plug in; replaces
     * what was attached.
     */
    public void attach(EgressProxy.Hooks attached) {
        this.hooks = attached;
    }

    public EgressProxy proxy() {
        return proxy;
    }

    public int proxyPort() {
        return proxy.port();
    }

    public int dnsPort() {
        return resolver.port();
    }

    @Override
    public void close() {
        proxy.close();
        resolver.close();
    }
}
