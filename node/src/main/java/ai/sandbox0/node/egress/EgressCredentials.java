package ai.sandbox0.node.egress;

import java.util.Optional;

/**
 * The material a sandbox's credential binding projects, for the proxy to inject into inspected requests: the
 * server resolves the binding ({@code credentialRules[].credentialRef}), decrypts its source and renders the
 * projection's value templates. Called off the network threads (it may read a store); answers are the
 * caller's to cache no longer than {@link EgressMaterial#expiresAt()}.
 */
@FunctionalInterface
public interface EgressCredentials {

    /**
     * @return empty when the sandbox has no binding {@code ref}
     * @throws Failure when the binding exists but its material cannot be had (the source is unreadable, a
     *         value template names a key the source lacks, the projection is of a kind the proxy cannot use)
     */
    Optional<EgressMaterial> resolve(String sandboxId, String ref) throws Failure;

    /** No credentials anywhere: every binding is missing. */
    EgressCredentials NONE = (sandboxId, ref) -> Optional.empty();

    /** Resolution failed; the message names the binding and the cause, never a secret. */
    final class Failure extends Exception {
        public Failure(String message) {
            super(message, null, false, false);
        }
    }
}
