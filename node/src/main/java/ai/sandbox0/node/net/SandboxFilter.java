package ai.sandbox0.node.net;

import ai.sandbox0.api.network.NetworkMode;
import ai.sandbox0.api.network.TrafficRuleAppProtocol;
import ai.sandbox0.node.egress.EgressPolicy;
import ai.sandbox0.node.egress.IpRange;
import ai.sandbox0.node.egress.PortRange;
import ai.sandbox0.node.egress.TrafficMatcher;
import ai.sandbox0.node.egress.Transport;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A sandbox's egress policy as nftables rules for what leaves it without passing the proxy: UDP datagrams and
 * ICMP (TCP goes through the proxy, DNS to the node's resolver). Only addresses and ports decide here; a rule
 * that needs a name or a TCP protocol cannot match a datagram and is left out, so such traffic falls to the
 * rules after it and then to the mode. IPv6 never leaves a sandbox, so only IPv4 ranges appear.
 */
final class SandboxFilter {

    private SandboxFilter() {
    }

    /** The rules of the sandbox's chain, in order, ending with the mode's verdict. */
    static List<String> rules(EgressPolicy policy) {
        var out = new ArrayList<String>();
        if (!policy.rules().isEmpty()) {
            for (TrafficMatcher rule : policy.rules()) {
                matchOf(rule).ifPresent(m -> out.add(m + (rule.allow() ? "accept" : "drop")));
            }
            out.add(policy.mode() == NetworkMode.ALLOW_ALL ? "accept" : "drop");
            return out;
        }
        EgressPolicy.Legacy legacy = policy.legacy();
        if (policy.mode() == NetworkMode.ALLOW_ALL) {
            List<IpRange> denied = v4(legacy.deniedCidrs());
            if (!denied.isEmpty()) {
                out.add("ip daddr " + set(denied) + " drop");
            }
            List<PortRange> ports = udp(legacy.deniedPorts());
            if (!ports.isEmpty()) {
                out.add("udp dport " + ports(ports) + " drop");
            }
            out.add("accept");
            return out;
        }
        List<PortRange> ports = udp(legacy.allowedPorts());
        boolean portsListed = !legacy.allowedPorts().isEmpty();
        if (portsListed && ports.isEmpty()) {
            out.add("drop");
            return out;
        }
        String portClause = portsListed ? "udp dport " + ports(ports) + " " : "";
        List<IpRange> cidrs = v4(legacy.allowedCidrs());
        if (!cidrs.isEmpty()) {
            out.add("ip daddr " + set(cidrs) + " " + portClause + "accept");
        } else if (legacy.allowedCidrs().isEmpty() && legacy.allowedDomains().isEmpty() && portsListed) {
            out.add(portClause + "accept");
        }
        out.add("drop");
        return out;
    }

    /** The match part of a rule for datagrams ("" matches any), or empty when the rule can never match one. */
    private static java.util.Optional<String> matchOf(TrafficMatcher rule) {
        if (!rule.domains().isEmpty()) {
            return java.util.Optional.empty();
        }
        boolean anyUdp = rule.apps().contains(TrafficRuleAppProtocol.UDP);
        if (!rule.apps().isEmpty() && !anyUdp) {
            return java.util.Optional.empty();
        }
        var m = new StringBuilder();
        if (!rule.cidrs().isEmpty()) {
            List<IpRange> v4 = v4(rule.cidrs());
            if (v4.isEmpty()) {
                return java.util.Optional.empty();
            }
            m.append("ip daddr ").append(set(v4)).append(' ');
        }
        if (!rule.ports().isEmpty()) {
            List<PortRange> ports = udp(rule.ports());
            if (ports.isEmpty()) {
                return java.util.Optional.empty();
            }
            m.append("udp dport ").append(ports(ports)).append(' ');
        } else if (anyUdp) {
            m.append("meta l4proto udp ");
        }
        return java.util.Optional.of(m.toString());
    }

    private static List<IpRange> v4(List<IpRange> ranges) {
        return ranges.stream().filter(IpRange::isIpv4).toList();
    }

    private static List<PortRange> udp(List<PortRange> ranges) {
        return ranges.stream().filter(p -> p.transport() == null || p.transport() == Transport.UDP).toList();
    }

    static String set(List<IpRange> ranges) {
        return ranges.stream().map(IpRange::toString).collect(Collectors.joining(", ", "{ ", " }"));
    }

    private static String ports(List<PortRange> ranges) {
        return ranges.stream().map(p -> p.start() == p.end() ? Integer.toString(p.start()) : p.start() + "-" + p.end())
                .collect(Collectors.joining(", ", "{ ", " }"));
    }
}
