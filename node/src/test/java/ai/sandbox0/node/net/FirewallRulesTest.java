package ai.sandbox0.node.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class FirewallRulesTest {

    private final FirewallRules rules = new FirewallRules(new NetworkNames("s0"), Cidr.parse("10.88.0.0/16"),
            List.of(), List.of());

    @Test
    void oneTableReplacedAtomically() {
        String s = rules.install();
        assertThat(s).startsWith("table inet sandbox0_s0\ndelete table inet sandbox0_s0\ntable inet sandbox0_s0 {");
    }

    @Test
    void sandboxesNeverReachEachOtherNorTheHost() {
        String s = rules.install();
        String input = s.substring(s.indexOf("chain input"), s.indexOf("chain forward"));
        assertThat(input).contains("iifname \"s0v*\" ct state established,related accept")
                .contains("iifname \"s0v*\" drop");
        assertThat(input.indexOf("established")).isLessThan(input.indexOf("iifname \"s0v*\" drop"));
        String forward = s.substring(s.indexOf("chain forward"), s.indexOf("chain postrouting"));
        assertThat(forward.lines().map(String::strip).toList()).containsSubsequence(
                "iifname \"s0v*\" ip daddr 10.88.0.0/16 drop",
                "oifname \"s0v*\" ct state established,related accept",
                "oifname \"s0v*\" drop",
                "iifname \"s0v*\" fib saddr . iif oif missing drop",
                "iifname @blocked drop",
                "iifname \"s0v*\" ip daddr 169.254.0.0/16 udp dport 53 accept",
                "iifname \"s0v*\" ip daddr 169.254.0.0/16 drop",
                "iifname \"s0v*\" accept");
        assertThat(s).contains("ip saddr 10.88.0.0/16 oifname != \"s0v*\" masquerade");
    }

    @Test
    void blockAllIsAnElementOfTheBlockedSet() {
        assertThat(rules.block("s0v7")).isEqualTo("add element inet sandbox0_s0 blocked { \"s0v7\" }\n");
        assertThat(rules.unblock("s0v7")).isEqualTo("delete element inet sandbox0_s0 blocked { \"s0v7\" }\n");
    }

    @Test
    void dnsOnlyWhenTheNodeOffersIt() {
        String s = new FirewallRules(new NetworkNames("s0"), Cidr.parse("10.88.0.0/16"), List.of(53), List.of()).install();
        assertThat(s).contains("iifname \"s0v*\" iifname != @blocked udp dport 53 accept");
        String input = rules.install().substring(rules.install().indexOf("chain input"),
                rules.install().indexOf("chain forward"));
        assertThat(input).as("the host's own DNS port only when the node serves DNS").doesNotContain("dport");
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
}
