package ai.sandbox0.api.credential;

import java.time.Instant;

/** A credential source as returned: metadata only, never the secret values. */
public record CredentialSourceMetadata(
        String name,
        CredentialSourceResolverKind resolverKind,
        // Bumped by every write.
        Long currentVersion,
        // "active"
        String status,
        Instant createdAt,
        Instant updatedAt) {
}
