package ai.sandbox0.node.net;

import ai.sandbox0.node.egress.EgressPolicy;
import ai.sandbox0.node.egress.IpRange;
import ai.sandbox0.node.egress.PlatformRules;
import java.util.List;

/**
 * The node's nftables rules, as text for {@code nft -f}. One table per node, so cleanup is one
 * {@code delete table}. Sandboxes are recognised by the host-side veth they arrive on, which the
 * sandbox cannot forge, and their source address must route back through that same veth.
 *
 * <ul>
 *   <li>guard (prerouting, before address translation): no forged source, no IPv6 (link-local included),
 *       nothing to this host's own addresses and nothing to the platform's closed ranges (other sandboxes,
 *       link-local where a cloud's metadata service lives, the operator's private ranges) — DNS to any
 *       address excepted, because it is answered by the node;
 *   <li>dstnat: DNS to any address goes to the node's resolver, every other TCP connection to the egress
 *       proxy, which decides on it with the names it carries;
 *   <li>input: a sandbox reaches only those two, and only through that redirect;
 *   <li>forward: nothing opens a connection into a sandbox; TCP never leaves unproxied; datagrams and ICMP
 *       go through the sandbox's own chain ({@link SandboxFilter}), and a sandbox without one sends nothing.
 * </ul>
 *
 * @param proxyPort where the egress proxy listens on every address of the host
 * @param dnsPort where the node's resolver listens (UDP and TCP)
 */
public record FirewallRules(NetworkNames names, Cidr pool, PlatformRules platform, int proxyPort, int dnsPort) {

    /** Replaces the whole table in one transaction: stale rules of a crashed run disappear with it. */
    public String install(List<SandboxChain> sandboxes) {
        String t = "inet " + names.table();
        String v = "\"" + names.vethWildcard() + "\"";
        var sb = new StringBuilder();
        sb.append("table ").append(t).append("\n");
        sb.append("delete table ").append(t).append("\n");
        sb.append("table ").append(t).append(" {\n");
        sb.append("  map egress {\n    type ifname : verdict\n  }\n");
        List<IpRange> closed4 = platform.deniedRanges().stream().filter(IpRange::isIpv4).toList();
        sb.append("  chain guard {\n    type filter hook prerouting priority -150; policy accept;\n");
        sb.append("    iifname ").append(v).append(" jump from_sandbox\n  }\n");
        sb.append("  chain from_sandbox {\n");
        sb.append("    fib saddr . iif oif missing drop\n");
        sb.append("    meta nfproto ipv6 drop\n");
        sb.append("    ct state established,related accept\n");
        sb.append("    udp dport 53 accept\n");
        sb.append("    tcp dport 53 accept\n");
        sb.append("    fib daddr type local drop\n");
        sb.append("    ip daddr ").append(SandboxFilter.set(closed4)).append(" drop\n");
        sb.append("  }\n");
        sb.append("  chain dstnat {\n    type nat hook prerouting priority dstnat; policy accept;\n");
        sb.append("    iifname ").append(v).append(" udp dport 53 redirect to :").append(dnsPort).append("\n");
        sb.append("    iifname ").append(v).append(" tcp dport 53 redirect to :").append(dnsPort).append("\n");
        sb.append("    iifname ").append(v).append(" meta l4proto tcp redirect to :").append(proxyPort).append("\n");
        sb.append("  }\n");
        sb.append("  chain input {\n    type filter hook input priority filter; policy accept;\n");
        sb.append("    iifname ").append(v).append(" ct state established,related accept\n");
        sb.append("    iifname ").append(v).append(" ct status dnat meta l4proto { tcp, udp } th dport ").append(dnsPort)
                .append(" accept\n");
        sb.append("    iifname ").append(v).append(" ct status dnat tcp dport ").append(proxyPort).append(" accept\n");
        sb.append("    iifname ").append(v).append(" drop\n");
        // The proxy and resolver listen on every address: from anywhere else than a sandbox's redirect, nothing.
        sb.append("    tcp dport ").append(proxyPort).append(" ct status != dnat drop\n");
        sb.append("    meta l4proto { tcp, udp } th dport ").append(dnsPort).append(" ct status != dnat drop\n");
        sb.append("  }\n");
        sb.append("  chain forward {\n    type filter hook forward priority filter; policy accept;\n");
        sb.append("    oifname ").append(v).append(" ct state established,related accept\n");
        sb.append("    oifname ").append(v).append(" drop\n");
        sb.append("    iifname ").append(v).append(" meta l4proto tcp drop\n");
        sb.append("    iifname ").append(v).append(" iifname vmap @egress\n");
        sb.append("    iifname ").append(v).append(" drop\n");
        sb.append("  }\n");
        sb.append("  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n");
        sb.append("    ip saddr ").append(pool).append(" oifname != ").append(v).append(" masquerade\n");
        sb.append("  }\n");
        sb.append("}\n");
        for (SandboxChain chain : sandboxes) {
            sb.append(attach(chain.hostVeth(), chain.slot(), chain.policy()));
        }
        return sb.toString();
    }

    /** A sandbox's veth and the policy its chain enforces. */
    public record SandboxChain(String hostVeth, int slot, EgressPolicy policy) {
    }

    /** Creates (or replaces) the sandbox's chain and points its veth at it, in one transaction. */
    public String attach(String hostVeth, int slot, EgressPolicy policy) {
        String t = "inet " + names.table();
        String chain = chain(slot);
        var sb = new StringBuilder();
        sb.append("add chain ").append(t).append(' ').append(chain).append("\n");
        sb.append("flush chain ").append(t).append(' ').append(chain).append("\n");
        for (String rule : SandboxFilter.rules(policy)) {
            sb.append("add rule ").append(t).append(' ').append(chain).append(' ').append(rule).append("\n");
        }
        sb.append("add element ").append(t).append(" egress { \"").append(hostVeth).append("\" : jump ").append(chain)
                .append(" }\n");
        return sb.toString();
    }

    /** Unhooks and removes the sandbox's chain; the veth then sends nothing. */
    public String detach(String hostVeth, int slot) {
        String t = "inet " + names.table();
        return "delete element " + t + " egress { \"" + hostVeth + "\" }\n"
                + "delete chain " + t + " " + chain(slot) + "\n";
    }

    public String remove() {
        return "table inet " + names.table() + "\ndelete table inet " + names.table() + "\n";
    }

    static String chain(int slot) {
        return "egress" + slot;
    }
}
