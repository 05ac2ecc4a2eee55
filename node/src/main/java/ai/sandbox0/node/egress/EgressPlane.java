package ai.sandbox0.node.egress;

import java.util.List;

/**
 * The node's egress data plane: the policies in force, the transparent proxy every sandbox TCP connection is
 * redirected to, and the resolver every sandbox DNS query is redirected to.
 */
public final class EgressPlane implements AutoCloseable {

    private final EgressPolicies policies = new EgressPolicies();
    private final PlatformRules platform;

    private EgressPlane(PlatformRules platform) {
        this.platform = platform;
    }

    public static EgressPlane start(String node, PlatformRules platform, List<String> upstreams) {
        return new EgressPlane(platform);
    }

    public EgressPolicies policies() {
        return policies;
    }

    public PlatformRules platform() {
        return platform;
    }

    public int proxyPort() {
        return 15001;
    }

    public int dnsPort() {
        return 15053;
    }

    @Override
    public void close() {
    }
}
