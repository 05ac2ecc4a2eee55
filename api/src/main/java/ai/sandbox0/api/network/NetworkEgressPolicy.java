package ai.sandbox0.api.network;

import ai.sandbox0.api.Copies;
import java.util.List;

/**
 * Egress rules. The legacy allowed and denied lists must not be combined with trafficRules (the server rejects
 * it).
 */
public record NetworkEgressPolicy(
        // Legacy: enforced only in block-all.
        List<String> allowedCidrs,
        List<String> allowedDomains,
        List<PortSpec> allowedPorts,
        // Legacy: enforced only in allow-all.
        List<String> deniedDomains,
        List<String> deniedCidrs,
        List<PortSpec> deniedPorts,
        // Ordered; the first match wins, no match falls back to mode.
        List<TrafficRule> trafficRules,
        // Applied after traffic is allowed.
        List<ProtocolRule> protocolRules,
        List<EgressCredentialRule> credentialRules,
        EgressProxyPolicy proxy) {

    public NetworkEgressPolicy {
        allowedCidrs = Copies.list(allowedCidrs);
        allowedDomains = Copies.list(allowedDomains);
        allowedPorts = Copies.list(allowedPorts);
        deniedDomains = Copies.list(deniedDomains);
        deniedCidrs = Copies.list(deniedCidrs);
        deniedPorts = Copies.list(deniedPorts);
        trafficRules = Copies.list(trafficRules);
        protocolRules = Copies.list(protocolRules);
        credentialRules = Copies.list(credentialRules);
    }
}
