package ai.sandbox0.api.network;

import ai.sandbox0.api.Copies;
import java.util.List;

/** HTTP or MCP operation controls, applied after traffic is allowed. */
public record ProtocolRule(
        String name,
        ProtocolRuleProtocol protocol,
        List<String> domains,
        List<PortSpec> ports,
        // terminate-reoriginate is needed to inspect HTTPS.
        EgressTlsMode tlsMode,
        HttpMatch httpMatch,
        HttpProtocolRule http,
        McpProtocolRule mcp) {

    public ProtocolRule {
        domains = Copies.list(domains);
        ports = Copies.list(ports);
    }
}
