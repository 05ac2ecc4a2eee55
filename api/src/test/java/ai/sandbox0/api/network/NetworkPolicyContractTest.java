package ai.sandbox0.api.network;

import static ai.sandbox0.api.WireAssertions.example;
import static ai.sandbox0.api.WireAssertions.roundTrip;
import static ai.sandbox0.api.WireAssertions.written;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.api.Json;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class NetworkPolicyContractTest {

    @Test
    void fullPolicyRoundTrips() {
        SandboxNetworkPolicy policy = roundTrip(example("network-policy.json"), SandboxNetworkPolicy.class);

        NetworkEgressPolicy egress = policy.egress();
        assertThat(policy.mode()).isEqualTo(NetworkMode.BLOCK_ALL);
        assertThat(egress.trafficRules()).extracting(TrafficRule::action)
                .containsExactly(TrafficRuleAction.ALLOW, TrafficRuleAction.DENY, TrafficRuleAction.ALLOW);
        assertThat(egress.trafficRules().get(1).ports().getFirst().endPort()).isEqualTo(65535);
        assertThat(egress.trafficRules().get(2).appProtocols()).containsExactly(TrafficRuleAppProtocol.SSH);
        assertThat(egress.protocolRules().getFirst().tlsMode()).isEqualTo(EgressTlsMode.TERMINATE_REORIGINATE);
        assertThat(egress.protocolRules().get(1).mcp().tools().denied()).containsExactly("shell");
        assertThat(egress.credentialRules().getFirst().failurePolicy()).isEqualTo(EgressAuthFailurePolicy.FAIL_CLOSED);
        assertThat(egress.credentialRules().getFirst().httpMatch().headers().getFirst().present()).isTrue();
        assertThat(egress.proxy().type()).isEqualTo(EgressProxyType.SOCKS5);
        assertThat(policy.credentialBindings()).extracting(b -> b.projection().type()).containsExactly(
                CredentialProjectionType.HTTP_HEADERS, CredentialProjectionType.PLACEHOLDER_SUBSTITUTION,
                CredentialProjectionType.SSH_PROXY, CredentialProjectionType.USERNAME_PASSWORD,
                CredentialProjectionType.TLS_CLIENT_CERTIFICATE);
        assertThat(policy.credentialBindings().get(3).projection().usernamePassword())
                .isEqualTo(new UsernamePasswordProjection());
    }

    @Test
    void policyIsCamelCaseEvenInsideSnakeCaseParents() {
        SandboxNetworkPolicy policy = new SandboxNetworkPolicy(NetworkMode.ALLOW_ALL,
                new NetworkEgressPolicy(null, null, null, List.of("evil.example"), null,
                        List.of(new PortSpec(1000, "udp", 2000)), null, null,
                        List.of(new EgressCredentialRule(null, "tok", EgressAuthRolloutMode.ENABLED,
                                EgressAuthProtocol.HTTPS, null, null, null, null,
                                new HttpMatch(null, null, List.of("/v1/"), null, null))),
                        null),
                List.of(new CredentialBinding("tok", "src",
                        new ProjectionSpec(CredentialProjectionType.HTTP_HEADERS,
                                new HttpHeadersProjection(List.of(new ProjectedHeader("Authorization", "Bearer {{ .t }}"))),
                                null, null, null, null),
                        new CachePolicySpec("1m"))));

        JsonNode json = written(policy);

        assertThat(json.path("mode").asText()).isEqualTo("allow-all");
        assertThat(json.path("egress").has("deniedDomains")).isTrue();
        assertThat(json.path("egress").path("deniedPorts").get(0).has("endPort")).isTrue();
        assertThat(json.path("egress").path("credentialRules").get(0).has("credentialRef")).isTrue();
        assertThat(json.path("egress").path("credentialRules").get(0).path("httpMatch").has("pathPrefixes")).isTrue();
        assertThat(json.path("credentialBindings").get(0).has("sourceRef")).isTrue();
        assertThat(json.path("credentialBindings").get(0).has("cachePolicy")).isTrue();
        assertThat(json.path("credentialBindings").get(0).path("projection").path("httpHeaders").path("headers").get(0)
                .has("valueTemplate")).isTrue();
    }

    @Test
    void unknownModeFailsTheRead() {
        assertThatThrownBy(() -> Json.mapper().readValue("{\"mode\":\"open\"}", SandboxNetworkPolicy.class))
                .isInstanceOf(JsonMappingException.class)
                .hasMessageContaining("unknown value \"open\"")
                .hasMessageContaining("allow-all, block-all");
    }

    @Test
    void clearedBindingsAreAnEmptyListNotAbsent() {
        SandboxNetworkPolicy cleared = roundTrip("{\"mode\":\"allow-all\",\"credentialBindings\":[]}",
                SandboxNetworkPolicy.class);

        assertThat(cleared.credentialBindings()).isEmpty();
    }
}
