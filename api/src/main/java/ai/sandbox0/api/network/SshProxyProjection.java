package ai.sandbox0.api.network;

import ai.sandbox0.api.Copies;
import java.util.List;

/** Terminates sandbox SSH and re-originates it with the source's key. */
public record SshProxyProjection(
        // The (fake) keys sandbox clients may present.
        List<String> sandboxPublicKeys,
        String upstreamUsername,
        // known_hosts lines for verifying the upstream host.
        List<String> knownHosts) {

    public SshProxyProjection {
        sandboxPublicKeys = Copies.list(sandboxPublicKeys);
        knownHosts = Copies.list(knownHosts);
    }
}
