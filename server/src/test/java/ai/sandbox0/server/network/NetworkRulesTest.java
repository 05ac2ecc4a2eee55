package ai.sandbox0.server.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.api.Json;
import ai.sandbox0.api.network.SandboxNetworkPolicy;
import org.junit.jupiter.api.Test;

class NetworkRulesTest {

    private static void check(String json) throws Exception {
        NetworkRules.check(Json.mapper().readValue(json, SandboxNetworkPolicy.class), "network");
    }

    @Test
    void aFullPolicyPasses() {
        assertThatCode(() -> check("""
                {"mode":"block-all","egress":{"trafficRules":[{"name":"gh","action":"allow","domains":["github.com"],
                  "ports":[{"port":443,"protocol":"tcp"}]},{"action":"deny","cidrs":["10.0.0.0/8","fd00::/8"]}],
                  "credentialRules":[{"credentialRef":"gh-token","domains":["api.github.com"]}]},
                 "credentialBindings":[{"ref":"gh-token","sourceRef":"github","projection":{"type":"http_headers"}}]}
                """)).doesNotThrowAnyException();
    }

    @Test
    void mistakesAreNamed() {
        assertThatThrownBy(() -> check("{}")).hasMessage("network.mode is required (allow-all or block-all)");
        assertThatThrownBy(() -> check("{\"mode\":\"block-all\",\"egress\":{\"allowedDomains\":[\"a.com\"],"
                + "\"trafficRules\":[{\"action\":\"allow\",\"domains\":[\"b.com\"]}]}}"))
                .hasMessage("egress trafficRules cannot be combined with legacy allowed*/denied* fields");
        assertThatThrownBy(() -> check("{\"mode\":\"block-all\",\"egress\":{\"trafficRules\":[{\"action\":\"allow\"}]}}"))
                .hasMessage("network.egress.trafficRules[0] needs at least one of cidrs, domains, ports, appProtocols");
        assertThatThrownBy(() -> check("{\"mode\":\"block-all\",\"egress\":{\"allowedCidrs\":[\"10.0.0.300/8\"]}}"))
                .hasMessageContaining("\"10.0.0.300/8\" is not a CIDR");
        assertThatThrownBy(() -> check("{\"mode\":\"block-all\",\"egress\":{\"allowedPorts\":[{\"port\":80,\"endPort\":79}]}}"))
                .hasMessage("network.egress.allowedPorts[0].endPort must be between port and 65535");
        assertThatThrownBy(() -> check("{\"mode\":\"allow-all\",\"egress\":{\"credentialRules\":[{\"credentialRef\":\"x\"}]}}"))
                .hasMessage("network.egress.credentialRules[0].credentialRef \"x\" is not in credentialBindings");
    }

    @Test
    void cidrs() {
        assertThat(NetworkRules.validCidr("192.168.1.1")).isTrue();
        assertThat(NetworkRules.validCidr("0.0.0.0/0")).isTrue();
        assertThat(NetworkRules.validCidr("10.0.0.0/33")).isFalse();
        assertThat(NetworkRules.validCidr("2001:db8::/32")).isTrue();
        assertThat(NetworkRules.validCidr("example.com")).isFalse();
    }
}
