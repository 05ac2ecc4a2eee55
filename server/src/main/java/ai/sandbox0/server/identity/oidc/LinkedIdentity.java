package ai.sandbox0.server.identity.oidc;

import java.time.Instant;

/** An account at an OIDC provider linked to a user. */
public record LinkedIdentity(String id, String userId, String provider, String subject, String email,
        Instant createdAt) {

    public ai.sandbox0.api.tenancy.Identity view() {
        return new ai.sandbox0.api.tenancy.Identity(id, provider, createdAt.getEpochSecond());
    }
}
