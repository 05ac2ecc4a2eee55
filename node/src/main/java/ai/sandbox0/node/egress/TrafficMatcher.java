package ai.sandbox0.node.egress;

import ai.sandbox0.api.network.PortSpec;
import ai.sandbox0.api.network.TrafficRule;
import ai.sandbox0.api.network.TrafficRuleAction;
import ai.sandbox0.api.network.TrafficRuleAppProtocol;
import java.util.List;
import java.util.Set;

/**
 * One compiled traffic rule: it matches a destination when every matcher it has matches (empty = any). A rule
 * with domains matches only flows whose host is known; one with app protocols only classified flows.
 */
public record TrafficMatcher(String name, boolean allow, List<IpRange> cidrs, List<DomainPattern> domains,
        List<PortRange> ports, Set<TrafficRuleAppProtocol> apps) {

    public TrafficMatcher {
        cidrs = List.copyOf(cidrs);
        domains = List.copyOf(domains);
        ports = List.copyOf(ports);
        apps = Set.copyOf(apps);
    }

    static TrafficMatcher of(TrafficRule rule, int index) {
        String name = rule.name() == null || rule.name().isBlank() ? "trafficRules[" + index + "]" : rule.name();
        return new TrafficMatcher(name, rule.action() == TrafficRuleAction.ALLOW, ranges(rule.cidrs()),
                domains(rule.domains()), ports(rule.ports()), rule.appProtocols() == null ? Set.of() : Set.copyOf(rule.appProtocols()));
    }

    public boolean matches(Destination d) {
        if (!cidrs.isEmpty() && (d.address() == null || cidrs.stream().noneMatch(c -> c.contains(d.address())))) {
            return false;
        }
        if (!ports.isEmpty() && ports.stream().noneMatch(p -> p.matches(d.port(), d.transport()))) {
            return false;
        }
        if (!domains.isEmpty() && (d.host() == null || domains.stream().noneMatch(p -> p.matches(d.host())))) {
            return false;
        }
        if (!apps.isEmpty()) {
            boolean udp = d.transport() == Transport.UDP && apps.contains(TrafficRuleAppProtocol.UDP);
            if (!udp && (d.app() == null || !apps.contains(d.app()))) {
                return false;
            }
        }
        return true;
    }

    /** True when only the domain decides: no address, port or protocol narrows the rule. */
    boolean domainOnly() {
        return !domains.isEmpty() && cidrs.isEmpty() && ports.isEmpty() && apps.isEmpty();
    }

    static List<IpRange> ranges(List<String> cidrs) {
        return cidrs == null ? List.of() : cidrs.stream().map(IpRange::parse).toList();
    }

    static List<DomainPattern> domains(List<String> domains) {
        return domains == null ? List.of()
                : domains.stream().filter(d -> d != null && !d.isBlank()).map(DomainPattern::parse).toList();
    }

    static List<PortRange> ports(List<PortSpec> ports) {
        return ports == null ? List.of() : ports.stream().map(PortRange::of).toList();
    }
}
