package ai.sandbox0.node.net;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.network.SandboxNetworkPolicy;
import ai.sandbox0.node.egress.EgressPolicy;
import ai.sandbox0.node.egress.PlatformRules;
import java.util.List;
import org.junit.jupiter.api.Test;

class FirewallRulesTest {

    private final FirewallRules rules = new FirewallRules(new NetworkNames("s0"), Cidr.parse("10.88.0.0/16"),
            new PlatformRules(PlatformRules.DEFAULT_PRIVATE_RANGES, "10.88.0.0/16"), 15001, 15053);

    private static EgressPolicy policy(String json) throws Exception {
        return EgressPolicy.compile(ai.sandbox0.api.Json.mapper().readValue(json, SandboxNetworkPolicy.class));
    }

    private static String section(String s, String from, String to) {
        return s.substring(s.indexOf(from), s.indexOf(to, s.indexOf(from)));
    }

    @Test
    void oneTableReplacedAtomically() {
        String s = rules.install(List.of());
        assertThat(s).startsWith("table inet sandbox0_s0\ndelete table inet sandbox0_s0\ntable inet sandbox0_s0 {");
    }

    @Test
    void aSandboxReachesNeitherTheHostNorClosedRangesButItsDnsIsAnsweredByTheNode() {
        String s = rules.install(List.of());
        List<String> guard = section(s, "chain from_sandbox", "\n  }").lines().map(String::strip).toList();
        assertThat(guard).containsSubsequence(
                "fib saddr . iif oif missing drop",
                "meta nfproto ipv6 drop",
                "ct state established,related accept",
                "udp dport 53 accept",
                "fib daddr type local drop");
        String closed = guard.stream().filter(l -> l.startsWith("ip daddr {")).findFirst().orElseThrow();
        assertThat(closed).contains("169.254.0.0/16", "10.0.0.0/8", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8",
                "10.88.0.0/16").endsWith(" drop").doesNotContain("fc00::");
        String nat = section(s, "chain dstnat", "\n  }");
        assertThat(nat).contains("iifname \"s0v*\" udp dport 53 redirect to :15053",
                "iifname \"s0v*\" meta l4proto tcp redirect to :15001");
        List<String> input = section(s, "chain input", "\n  }").lines().map(String::strip).toList();
        assertThat(input).containsSubsequence(
                "iifname \"s0v*\" ct state established,related accept",
                "iifname \"s0v*\" ct status dnat tcp dport 15001 accept",
                "iifname \"s0v*\" drop",
                "tcp dport 15001 ct status != dnat drop");
    }

    @Test
    void forwardLetsOnlyDatagramsThroughTheSandboxesOwnChain() {
        List<String> forward = section(rules.install(List.of()), "chain forward", "\n  }").lines().map(String::strip).toList();
        assertThat(forward).containsSubsequence(
                "oifname \"s0v*\" ct state established,related accept",
                "oifname \"s0v*\" drop",
                "iifname \"s0v*\" meta l4proto tcp drop",
                "iifname \"s0v*\" iifname vmap @egress",
                "iifname \"s0v*\" drop");
        assertThat(rules.install(List.of())).contains("ip saddr 10.88.0.0/16 oifname != \"s0v*\" masquerade");
    }

    @Test
    void aSandboxChainFollowsItsPolicyInOrder() throws Exception {
        EgressPolicy p = policy("""
                {"mode":"block-all","egress":{"trafficRules":[
                  {"action":"deny","cidrs":["203.0.113.9/32"]},
                  {"action":"allow","domains":["example.com"]},
                  {"action":"allow","cidrs":["203.0.113.0/24","2001:db8::/32"],"ports":[{"port":5000,"endPort":5010,"protocol":"udp"},{"port":443,"protocol":"tcp"}]},
                  {"action":"allow","appProtocols":["udp"],"cidrs":["198.51.100.0/24"]},
                  {"action":"allow","appProtocols":["ssh"]}]}}""");
        String attach = rules.attach("s0v3", 3, p);
        assertThat(attach.lines().toList()).containsExactly(
                "add chain inet sandbox0_s0 egress3",
                "flush chain inet sandbox0_s0 egress3",
                "add rule inet sandbox0_s0 egress3 ip daddr { 203.0.113.9/32 } drop",
                "add rule inet sandbox0_s0 egress3 ip daddr { 203.0.113.0/24 } udp dport { 5000-5010 } accept",
                "add rule inet sandbox0_s0 egress3 ip daddr { 198.51.100.0/24 } meta l4proto udp accept",
                "add rule inet sandbox0_s0 egress3 drop",
                "add element inet sandbox0_s0 egress { \"s0v3\" : jump egress3 }");
        assertThat(rules.detach("s0v3", 3)).isEqualTo(
                "delete element inet sandbox0_s0 egress { \"s0v3\" }\ndelete chain inet sandbox0_s0 egress3\n");
    }

    @Test
    void legacyFieldsKeepTheirModeSemantics() throws Exception {
        assertThat(SandboxFilter.rules(policy("""
                {"mode":"allow-all","egress":{"deniedCidrs":["192.0.2.0/24"],"deniedPorts":[{"port":53},{"port":25,"protocol":"tcp"}],
                  "allowedCidrs":["0.0.0.0/0"]}}"""))).containsExactly(
                "ip daddr { 192.0.2.0/24 } drop", "udp dport { 53 } drop", "accept");
        assertThat(SandboxFilter.rules(policy("""
                {"mode":"block-all","egress":{"allowedCidrs":["192.0.2.0/24"],"deniedCidrs":["0.0.0.0/0"]}}""")))
                .containsExactly("ip daddr { 192.0.2.0/24 } accept", "drop");
        assertThat(SandboxFilter.rules(policy("""
                {"mode":"block-all","egress":{"allowedDomains":["pypi.org"]}}"""))).containsExactly("drop");
        assertThat(SandboxFilter.rules(policy("{\"mode\":\"block-all\"}"))).containsExactly("drop");
        assertThat(SandboxFilter.rules(EgressPolicy.ALLOW_ALL)).containsExactly("accept");
    }

    @Test
    void namesArePrefixedByTheNode() {
        var n = new NetworkNames("t1");
        assertThat(n.netns("abc")).isEqualTo("t1-abc");
        assertThat(n.sandboxOfNetns("t1-abc")).contains("abc");
        assertThat(n.sandboxOfNetns("t12-abc")).isEmpty();
        assertThat(n.slotOfVeth("t1v42")).contains(42);
        assertThat(n.slotOfVeth("t12v42")).isEmpty();
        assertThat(n.slotOfVeth("eth0")).isEmpty();
    }

    @Test
    void theTableParsesWithTheRealNft() throws Exception {
        // nft --check parses and validates against the kernel without changing anything.
        String script = rules.install(List.of(new FirewallRules.SandboxChain("s0v3", 3, policy("""
                {"mode":"allow-all","egress":{"trafficRules":[{"action":"deny","cidrs":["203.0.113.0/24"],"ports":[{"port":53,"protocol":"udp"}]}]}}"""))));
        Process p = new ProcessBuilder("nft", "--check", "-f", "-").redirectErrorStream(true).start();
        p.getOutputStream().write(script.getBytes());
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out + "\n" + script).isZero();
    }
}
