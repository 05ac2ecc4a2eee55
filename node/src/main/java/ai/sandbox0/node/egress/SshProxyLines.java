package ai.sandbox0.node.egress;

import java.util.List;
import java.util.Optional;

/**
 * Whether an {@code ssh_proxy} binding's key and known_hosts lines are ones the proxy can use: checked where
 * the binding is written, so that a line it cannot read is a 400 then rather than a refused session later.
 */
public final class SshProxyLines {

    private SshProxyLines() {
    }

    /** What is wrong with the lines, naming the field and its index (never a key); empty when they can be used. */
    public static Optional<String> problem(List<String> sandboxPublicKeys, List<String> knownHosts) {
        try {
            SshAccess.sandboxKeys(sandboxPublicKeys == null ? List.of() : sandboxPublicKeys);
            SshAccess.knownHosts(knownHosts == null ? List.of() : knownHosts);
            return Optional.empty();
        } catch (SshAccess.Unusable e) {
            return Optional.of(e.getMessage());
        }
    }
}
