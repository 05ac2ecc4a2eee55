package ai.sandbox0.api.network;

import ai.sandbox0.api.Copies;
import java.util.List;

/**
 * Outbound network policy: in template {@code spec.network}, claim {@code config.network} and {@code …/network}.
 * camelCase throughout.
 */
public record SandboxNetworkPolicy(
        // What happens to traffic no rule matches.
        NetworkMode mode,
        NetworkEgressPolicy egress,
        List<CredentialBinding> credentialBindings) {

    public SandboxNetworkPolicy {
        credentialBindings = Copies.list(credentialBindings);
    }
}
