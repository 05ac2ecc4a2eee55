package ai.sandbox0.node.net;

import java.util.List;

/**
 * The node's nftables rules, as text for {@code nft -f}. One table per node, so cleanup is one
 * {@code delete table}. Sandboxes are recognised by the host-side veth they arrive on, which the
 * sandbox cannot forge, and their source address must route back through that same veth.
 *
 * <ul>
 *   <li>input: a sandbox reaches none of the host's own services (replies to connections the node
 *       opened, such as its procd health checks, excepted; DNS only if the node runs a resolver);
 *   <li>forward: no sandbox reaches another sandbox (procd port included); nothing outside opens a
 *       connection into a sandbox; {@code block-all} sandboxes (their veths in the set
 *       {@code blocked}) send nothing at all; no sandbox reaches a link-local address but for DNS (a
 *       cloud's metadata service lives there) nor sends IPv6; the others go out, masqueraded.
 * </ul>
 */
public record FirewallRules(NetworkNames names, Cidr pool, List<Integer> hostUdpPorts, List<Integer> hostTcpPorts) {

    /** IPv4 link-local, where cloud hosts answer metadata (and credential) requests. */
    static final String LINK_LOCAL = "169.254.0.0/16";

    public FirewallRules {
        hostUdpPorts = List.copyOf(hostUdpPorts);
        hostTcpPorts = List.copyOf(hostTcpPorts);
    }

    /** Replaces the whole table in one transaction: stale rules of a crashed run disappear with it. */
    public String install() {
        String t = "inet " + names.table();
        String v = "\"" + names.vethWildcard() + "\"";
        var sb = new StringBuilder();
        sb.append("table ").append(t).append("\n");
        sb.append("delete table ").append(t).append("\n");
        sb.append("table ").append(t).append(" {\n");
        sb.append("  set blocked {\n    type ifname\n  }\n");
        sb.append("  chain input {\n    type filter hook input priority filter; policy accept;\n");
        sb.append("    iifname ").append(v).append(" ct state established,related accept\n");
        sb.append("    iifname ").append(v).append(" fib saddr . iif oif missing drop\n");
        for (int port : hostUdpPorts) {
            sb.append("    iifname ").append(v).append(" iifname != @blocked udp dport ").append(port).append(" accept\n");
        }
        for (int port : hostTcpPorts) {
            sb.append("    iifname ").append(v).append(" iifname != @blocked tcp dport ").append(port).append(" accept\n");
        }
        sb.append("    iifname ").append(v).append(" drop\n");
        sb.append("  }\n");
        sb.append("  chain forward {\n    type filter hook forward priority filter; policy accept;\n");
        sb.append("    iifname ").append(v).append(" ip daddr ").append(pool).append(" drop\n");
        sb.append("    oifname ").append(v).append(" ct state established,related accept\n");
        sb.append("    oifname ").append(v).append(" drop\n");
        sb.append("    iifname ").append(v).append(" fib saddr . iif oif missing drop\n");
        sb.append("    iifname @blocked drop\n");
        // Link-local addresses are the host's business: a cloud's metadata service (169.254.169.254) hands out
        // the machine's credentials. Only DNS there (some clouds' resolvers) stays reachable.
        sb.append("    iifname ").append(v).append(" ip daddr ").append(LINK_LOCAL).append(" udp dport 53 accept\n");
        sb.append("    iifname ").append(v).append(" ip daddr ").append(LINK_LOCAL).append(" tcp dport 53 accept\n");
        sb.append("    iifname ").append(v).append(" ip daddr ").append(LINK_LOCAL).append(" drop\n");
        sb.append("    iifname ").append(v).append(" meta nfproto ipv6 drop\n");
        sb.append("    iifname ").append(v).append(" accept\n");
        sb.append("  }\n");
        sb.append("  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n");
        sb.append("    ip saddr ").append(pool).append(" oifname != ").append(v).append(" masquerade\n");
        sb.append("  }\n");
        sb.append("}\n");
        return sb.toString();
    }

    public String block(String hostVeth) {
        return "add element inet " + names.table() + " blocked { \"" + hostVeth + "\" }\n";
    }

    public String unblock(String hostVeth) {
        return "delete element inet " + names.table() + " blocked { \"" + hostVeth + "\" }\n";
    }

    public String remove() {
        return "table inet " + names.table() + "\ndelete table inet " + names.table() + "\n";
    }
}
