package ai.sandbox0.server.tenancy;

import ai.sandbox0.server.auth.Role;
import java.time.Instant;
import java.util.List;

/** A stored API key: everything about it except the secret, of which only a digest is kept. */
public record ApiKey(
        String id,
        String keyPrefix,
        String name,
        String teamId,
        String userId,
        String createdBy,
        ApiKeyScope scope,
        List<Role> roles,
        boolean active,
        Instant expiresAt,
        Instant lastUsedAt,
        long usageCount,
        Instant createdAt,
        Instant updatedAt) {

    public ApiKey {
        roles = List.copyOf(roles);
    }

    public boolean expiredAt(Instant now) {
        return !now.isBefore(expiresAt);
    }
}
