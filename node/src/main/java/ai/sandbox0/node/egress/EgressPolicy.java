package ai.sandbox0.node.egress;

import ai.sandbox0.api.network.EgressCredentialRule;
import ai.sandbox0.api.network.EgressProxyPolicy;
import ai.sandbox0.api.network.NetworkEgressPolicy;
import ai.sandbox0.api.network.NetworkMode;
import ai.sandbox0.api.network.ProtocolRule;
import ai.sandbox0.api.network.SandboxNetworkPolicy;
import ai.sandbox0.api.network.TrafficRule;
import java.util.ArrayList;
import java.util.List;

/**
 * A sandbox's network policy compiled for the data plane (the proxy, the resolver and the firewall), with the
 * upstream semantics: ordered traffic rules where the first match wins and no match falls back to the mode; or,
 * without traffic rules, the legacy fields, of which {@code allow-all} enforces only the denied ones and
 * {@code block-all} only the allowed ones. Platform rules (what no policy may reach) are not part of it: see
 * {@link PlatformRules}, which every caller checks first.
 *
 * @param source the policy as the API holds it (protocol and credential rules are read from it as they are)
 */
public record EgressPolicy(NetworkMode mode, List<TrafficMatcher> rules, Legacy legacy, SandboxNetworkPolicy source) {

    /** The legacy allowed and denied fields. */
    public record Legacy(List<IpRange> allowedCidrs, List<DomainPattern> allowedDomains, List<PortRange> allowedPorts,
            List<IpRange> deniedCidrs, List<DomainPattern> deniedDomains, List<PortRange> deniedPorts) {

        static final Legacy NONE = new Legacy(List.of(), List.of(), List.of(), List.of(), List.of(), List.of());
    }

    public static final EgressPolicy ALLOW_ALL = compile(null);

    public EgressPolicy {
        rules = List.copyOf(rules);
    }

    /**
     * Compiles a policy the API has validated; a null policy allows everything (what a sandbox without a
     * network config gets).
     *
     * @throws IllegalArgumentException on a CIDR, domain or port the validation should have refused
     */
    public static EgressPolicy compile(SandboxNetworkPolicy policy) {
        if (policy == null) {
            return new EgressPolicy(NetworkMode.ALLOW_ALL, List.of(), Legacy.NONE, null);
        }
        NetworkMode mode = policy.mode() == null ? NetworkMode.ALLOW_ALL : policy.mode();
        NetworkEgressPolicy egress = policy.egress();
        if (egress == null) {
            return new EgressPolicy(mode, List.of(), Legacy.NONE, policy);
        }
        var rules = new ArrayList<TrafficMatcher>();
        List<TrafficRule> traffic = orEmpty(egress.trafficRules());
        for (int i = 0; i < traffic.size(); i++) {
            rules.add(TrafficMatcher.of(traffic.get(i), i));
        }
        var legacy = new Legacy(TrafficMatcher.ranges(egress.allowedCidrs()), TrafficMatcher.domains(egress.allowedDomains()),
                TrafficMatcher.ports(egress.allowedPorts()), TrafficMatcher.ranges(egress.deniedCidrs()),
                TrafficMatcher.domains(egress.deniedDomains()), TrafficMatcher.ports(egress.deniedPorts()));
        return new EgressPolicy(mode, rules, legacy, policy);
    }

    /**
     * The decision for a flow. Called again once more of the destination is known (its host, its protocol):
     * a flow is allowed when the decision on everything known allows it.
     */
    public Verdict decide(Destination d) {
        if (!rules.isEmpty()) {
            for (TrafficMatcher rule : rules) {
                if (rule.matches(d)) {
                    return rule.allow() ? Verdict.allow(rule.name()) : Verdict.deny(rule.name());
                }
            }
            return fallback();
        }
        if (mode == NetworkMode.ALLOW_ALL) {
            if (d.address() != null && legacy.deniedCidrs().stream().anyMatch(c -> c.contains(d.address()))) {
                return Verdict.deny("deniedCidrs");
            }
            if (legacy.deniedPorts().stream().anyMatch(p -> p.matches(d.port(), d.transport()))) {
                return Verdict.deny("deniedPorts");
            }
            if (d.host() != null && legacy.deniedDomains().stream().anyMatch(p -> p.matches(d.host()))) {
                return Verdict.deny("deniedDomains");
            }
            return Verdict.allow("mode allow-all");
        }
        // block-all: the listed addresses and names are alternatives, the listed ports narrow them (or alone
        // allow any destination on those ports).
        boolean portListed = legacy.allowedPorts().stream().anyMatch(p -> p.matches(d.port(), d.transport()));
        boolean cidrListed = d.address() != null && legacy.allowedCidrs().stream().anyMatch(c -> c.contains(d.address()));
        boolean domainListed = domainAllowed(d);
        boolean destinations = !legacy.allowedCidrs().isEmpty() || !legacy.allowedDomains().isEmpty();
        if (!legacy.allowedPorts().isEmpty() && !portListed) {
            return Verdict.deny("mode block-all");
        }
        if (cidrListed) {
            return Verdict.allow("allowedCidrs");
        }
        if (domainListed) {
            return Verdict.allow("allowedDomains");
        }
        return !destinations && portListed ? Verdict.allow("allowedPorts") : Verdict.deny("mode block-all");
    }

    /**
     * Whether the node's resolver answers a query for {@code name}. A name is withheld when every flow to it
     * would be denied for its name alone, so that a blocked domain can neither be reached by the address its
     * answer would give nor carry data out through queries for names below it.
     */
    public boolean resolvable(String name) {
        var d = new Destination(null, 0, Transport.TCP, name, null);
        if (!rules.isEmpty()) {
            for (TrafficMatcher rule : rules) {
                if (!rule.domains().isEmpty() && rule.domains().stream().anyMatch(p -> p.matches(d.host()))) {
                    if (rule.allow()) {
                        return true;
                    }
                    if (rule.domainOnly()) {
                        return false;
                    }
                }
            }
            return mode == NetworkMode.ALLOW_ALL;
        }
        if (mode == NetworkMode.ALLOW_ALL) {
            return legacy.deniedDomains().stream().noneMatch(p -> p.matches(d.host()));
        }
        return domainAllowed(d);
    }

    public List<ProtocolRule> protocolRules() {
        return source == null || source.egress() == null ? List.of() : orEmpty(source.egress().protocolRules());
    }

    public List<EgressCredentialRule> credentialRules() {
        return source == null || source.egress() == null ? List.of() : orEmpty(source.egress().credentialRules());
    }

    /** The SOCKS5 upstream every allowed TCP flow goes through, or null to connect directly. */
    public EgressProxyPolicy upstreamProxy() {
        return source == null || source.egress() == null ? null : source.egress().proxy();
    }

    private static <T> List<T> orEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }

    private boolean domainAllowed(Destination d) {
        return d.host() != null && legacy.allowedDomains().stream().anyMatch(p -> p.matches(d.host()));
    }

    private Verdict fallback() {
        return mode == NetworkMode.ALLOW_ALL ? Verdict.allow("mode allow-all") : Verdict.deny("mode block-all");
    }
}
