package ai.sandbox0.api.tenancy;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;

/** A user account. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record User(
        String id,
        String email,
        String name,
        String avatarUrl,
        boolean emailVerified,
        // System administrator: every permission in every team.
        boolean isAdmin,
        Instant createdAt,
        Instant updatedAt) {
}
