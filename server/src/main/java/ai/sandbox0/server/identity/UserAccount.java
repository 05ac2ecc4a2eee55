package ai.sandbox0.server.identity;

import java.time.Instant;

/** A stored user. {@code passwordHash} is null for users who cannot log in with a password. */
public record UserAccount(String id, String email, String name, String avatarUrl, boolean emailVerified,
        boolean systemAdmin, String passwordHash, Instant createdAt, Instant updatedAt) {

    public ai.sandbox0.api.tenancy.User view() {
        return new ai.sandbox0.api.tenancy.User(id, email, name, avatarUrl, emailVerified, systemAdmin, createdAt,
                updatedAt);
    }

    @Override
    public String toString() {
        return "UserAccount[id=" + id + ", email=" + email + ", admin=" + systemAdmin + "]";
    }
}
