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
                 "credentialBindings":[{"ref":"gh-token","sourceRef":"github","projection":{"type":"http_headers",
                  "httpHeaders":{"headers":[{"name":"Authorization","valueTemplate":"Bearer {{ .token }}"}]}}}]}
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
    void theContractExamplePasses() throws Exception {
        byte[] example = java.nio.file.Files.readAllBytes(java.nio.file.Path.of("../api/src/test/resources/examples/network-policy.json"));
        assertThatCode(() -> NetworkRules.check(Json.mapper().readValue(example, SandboxNetworkPolicy.class), ""))
                .doesNotThrowAnyException();
    }

    private static String withRule(String rule, String binding) {
        return "{\"mode\":\"allow-all\",\"egress\":{\"credentialRules\":[" + rule + "]},\"credentialBindings\":[" + binding + "]}";
    }

    private static final String HEADERS = "{\"ref\":\"b\",\"sourceRef\":\"s\",\"projection\":{\"type\":\"http_headers\","
            + "\"httpHeaders\":{\"headers\":[{\"name\":\"X-Key\",\"valueTemplate\":\"{{ .k }}\"}]}}}";
    private static final String USERPASS = "{\"ref\":\"b\",\"sourceRef\":\"s\",\"projection\":{\"type\":\"username_password\",\"usernamePassword\":{}}}";
    private static final String PLACEHOLDER = "{\"ref\":\"b\",\"sourceRef\":\"s\",\"projection\":{\"type\":\"placeholder_substitution\","
            + "\"placeholderSubstitution\":{\"replacements\":[{\"placeholder\":\"P\",\"valueTemplate\":\"{{ .k }}\",\"locations\":[\"header\"]}]}}}";

    @Test
    void everyValidationRowOfTheCredentialRulesIsA400NamingTheField() {
        assertThatThrownBy(() -> check(withRule("{\"credentialRef\":\"b\",\"protocol\":\"tls\"}", HEADERS)))
                .hasMessage("network.egress.credentialRules[0]: protocol tls requires tlsMode terminate-reoriginate");
        assertThatThrownBy(() -> check(withRule("{\"credentialRef\":\"b\",\"protocol\":\"tls\",\"tlsMode\":\"terminate-reoriginate\"}", HEADERS)))
                .hasMessageContaining("requires a tls_client_certificate projection");
        assertThatThrownBy(() -> check(withRule("{\"credentialRef\":\"b\",\"protocol\":\"redis\"}", HEADERS)))
                .hasMessageContaining("protocol redis requires a username_password projection");
        assertThatThrownBy(() -> check(withRule("{\"credentialRef\":\"b\",\"protocol\":\"ssh\"}", USERPASS)))
                .hasMessageContaining("protocol ssh requires an ssh_proxy projection");
        assertThatThrownBy(() -> check(withRule("{\"credentialRef\":\"b\",\"protocol\":\"ssh\"}", PLACEHOLDER)))
                .hasMessageContaining("requires an ssh_proxy projection");
        assertThatThrownBy(() -> check(withRule("{\"credentialRef\":\"b\",\"protocol\":\"https\"}", PLACEHOLDER)))
                .hasMessageContaining("placeholder_substitution projection with protocol https requires tlsMode terminate-reoriginate");
        assertThatCode(() -> check(withRule("{\"credentialRef\":\"b\",\"protocol\":\"http\"}", PLACEHOLDER)))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> check(withRule("{\"credentialRef\":\"b\",\"protocol\":\"ssh\",\"httpMatch\":{}}", HEADERS)))
                .hasMessage("network.egress.credentialRules[0].httpMatch requires protocol http, https or grpc");
        assertThatThrownBy(() -> check(withRule("{\"credentialRef\":\"b\",\"protocol\":\"grpc\",\"httpMatch\":{}}", HEADERS)))
                .hasMessageContaining("httpMatch with protocol grpc requires tlsMode terminate-reoriginate");
        assertThatThrownBy(() -> check(withRule("{\"credentialRef\":\"b\",\"protocol\":\"http\",\"httpMatch\":{\"methods\":[\"FETCH\"]}}", HEADERS)))
                .hasMessage("network.egress.credentialRules[0].httpMatch.methods: \"FETCH\" is not an HTTP method");
        assertThatThrownBy(() -> check(withRule("{\"credentialRef\":\"b\",\"protocol\":\"http\",\"httpMatch\":{\"paths\":[\"v1\"]}}", HEADERS)))
                .hasMessageContaining("\"v1\" must start with /");
        assertThatThrownBy(() -> check(withRule("{\"credentialRef\":\"b\",\"protocol\":\"http\",\"httpMatch\":{\"headers\":[{\"name\":\"\"}]}}", HEADERS)))
                .hasMessage("network.egress.credentialRules[0].httpMatch.headers[0].name is required");
        assertThatThrownBy(() -> check(withRule("{\"name\":\"r\",\"credentialRef\":\"b\"},{\"name\":\"r\",\"credentialRef\":\"b\"}", HEADERS)))
                .hasMessage("network.egress.credentialRules[1].name \"r\" is used twice");
    }

    @Test
    void bindingsMustBeWellFormed() {
        assertThatThrownBy(() -> check("{\"mode\":\"allow-all\",\"credentialBindings\":[" + HEADERS + "," + HEADERS + "]}"))
                .hasMessage("network.credentialBindings[1].ref \"b\" is used twice");
        assertThatThrownBy(() -> check("{\"mode\":\"allow-all\",\"credentialBindings\":[{\"ref\":\"b\",\"projection\":{\"type\":\"http_headers\"}}]}"))
                .hasMessage("network.credentialBindings[0].sourceRef is required");
        assertThatThrownBy(() -> check("{\"mode\":\"allow-all\",\"credentialBindings\":[{\"ref\":\"b\",\"sourceRef\":\"s\",\"projection\":{\"type\":\"http_headers\"}}]}"))
                .hasMessage("network.credentialBindings[0].projection.httpHeaders.headers is required for type http_headers");
        assertThatThrownBy(() -> check("{\"mode\":\"allow-all\",\"credentialBindings\":[{\"ref\":\"b\",\"sourceRef\":\"s\",\"projection\":{\"type\":\"ssh_proxy\",\"sshProxy\":{\"upstreamUsername\":\"git\"}}}]}"))
                .hasMessage("network.credentialBindings[0].projection.sshProxy.sandboxPublicKeys needs at least one public key");
        String ssh = "{\"mode\":\"allow-all\",\"credentialBindings\":[{\"ref\":\"b\",\"sourceRef\":\"s\",\"projection\":"
                + "{\"type\":\"ssh_proxy\",\"sshProxy\":{\"upstreamUsername\":\"git\",\"sandboxPublicKeys\":[%s],\"knownHosts\":[%s]}}}]}";
        String key = "\"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl agent\"";
        String known = "\"github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\"";
        assertThatCode(() -> check(ssh.formatted(key, known))).doesNotThrowAnyException();
        assertThatThrownBy(() -> check(ssh.formatted(key + ",\"ssh-ed25519 not-base64\"", known)))
                .hasMessage("network.credentialBindings[0].projection.sshProxy.sandboxPublicKeys[1] is not an OpenSSH"
                        + " public key this proxy reads");
        assertThatThrownBy(() -> check(ssh.formatted(key, "\"# a comment\",\"github.com\"")))
                .hasMessage("network.credentialBindings[0].projection.sshProxy.knownHosts[1] is not a known_hosts line");
        assertThatThrownBy(() -> check("{\"mode\":\"allow-all\",\"credentialBindings\":[{\"ref\":\"b\",\"sourceRef\":\"s\",\"projection\":{\"type\":\"placeholder_substitution\",\"placeholderSubstitution\":{\"replacements\":[{\"placeholder\":\"P\",\"valueTemplate\":\"v\",\"locations\":[\"header\",\"header\"]}]}}}]}"))
                .hasMessageContaining("lists a location twice");
        assertThatThrownBy(() -> check("{\"mode\":\"allow-all\",\"credentialBindings\":[" + HEADERS.replace("}}}", "}},\"cachePolicy\":{\"ttl\":\"soon\"}}") + "]}"))
                .hasMessageContaining("cachePolicy.ttl \"soon\" is not a duration");
        assertThatThrownBy(() -> check("{\"mode\":\"allow-all\",\"egress\":{\"proxy\":{\"type\":\"socks5\",\"address\":\"p:1080\",\"credentialRef\":\"b\"}},\"credentialBindings\":[" + HEADERS + "]}"))
                .hasMessage("network.egress.proxy.credentialRef \"b\" requires a username_password projection");
        assertThatThrownBy(() -> check("{\"mode\":\"allow-all\",\"egress\":{\"proxy\":{\"type\":\"socks5\",\"address\":\"p\"}}}"))
                .hasMessage("network.egress.proxy.address must be host:port");
    }

    @Test
    void domainsPortsAndProtocolRules() {
        assertThatThrownBy(() -> check("{\"mode\":\"allow-all\",\"egress\":{\"trafficRules\":[{\"action\":\"deny\",\"domains\":[\"*\"]}]}}"))
                .hasMessageContaining("\"*\" is not a domain");
        assertThatThrownBy(() -> check("{\"mode\":\"allow-all\",\"egress\":{\"trafficRules\":[{\"action\":\"deny\",\"domains\":[\"a..b\"]}]}}"))
                .hasMessageContaining("\"a..b\" is not a domain");
        assertThatThrownBy(() -> check("{\"mode\":\"allow-all\",\"egress\":{\"trafficRules\":[{\"action\":\"deny\",\"ports\":[{\"port\":70000}]}]}}"))
                .hasMessage("network.egress.trafficRules[0].ports[0].port must be between 1 and 65535");
        assertThatThrownBy(() -> check("{\"mode\":\"allow-all\",\"egress\":{\"protocolRules\":[{\"protocol\":\"mcp\"}]}}"))
                .hasMessage("network.egress.protocolRules[0].mcp is required for protocol mcp");
        assertThatThrownBy(() -> check("{\"mode\":\"allow-all\",\"egress\":{\"protocolRules\":[{\"protocol\":\"http\",\"http\":{\"methods\":{\"denied\":[\"GET\",\"GET\"]}}}]}}"))
                .hasMessageContaining("\"GET\" is listed twice");
        assertThatThrownBy(() -> check("{\"mode\":\"allow-all\",\"egress\":{\"trafficRules\":[{\"name\":\"a\",\"action\":\"deny\",\"ports\":[{\"port\":1}]},{\"name\":\"a\",\"action\":\"deny\",\"ports\":[{\"port\":2}]}]}}"))
                .hasMessage("network.egress.trafficRules[1].name \"a\" is used twice");
        assertThat(NetworkRules.validDomain("*.Example.COM.")).isTrue();
        assertThat(NetworkRules.validDomain("a.*.com")).isFalse();
    }

    @Test
    void goDurations() {
        assertThat(GoDuration.parse("5m")).isEqualTo(java.time.Duration.ofMinutes(5));
        assertThat(GoDuration.parse("1h30m")).isEqualTo(java.time.Duration.ofMinutes(90));
        assertThat(GoDuration.parse("1.5s")).isEqualTo(java.time.Duration.ofMillis(1500));
        assertThat(GoDuration.parse("300ms")).isEqualTo(java.time.Duration.ofMillis(300));
        assertThatThrownBy(() -> GoDuration.parse("5 minutes")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GoDuration.parse("-5s")).isInstanceOf(IllegalArgumentException.class);
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
