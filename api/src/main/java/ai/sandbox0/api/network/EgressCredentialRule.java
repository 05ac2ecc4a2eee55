package ai.sandbox0.api.network;

import ai.sandbox0.api.Copies;
import java.util.List;

/** Injects credentials from a binding into matching egress traffic. */
public record EgressCredentialRule(
        String name,
        // The ref of an entry in credentialBindings.
        String credentialRef,
        EgressAuthRolloutMode rollout,
        EgressAuthProtocol protocol,
        EgressTlsMode tlsMode,
        EgressAuthFailurePolicy failurePolicy,
        List<String> domains,
        List<PortSpec> ports,
        HttpMatch httpMatch) {

    public EgressCredentialRule {
        domains = Copies.list(domains);
        ports = Copies.list(ports);
    }
}
