package ai.sandbox0.api.tenancy;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;

/** A membership of a user in a team. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record TeamMember(
        String id,
        String teamId,
        String userId,
        // A plain string in the schema; requests use TeamRole.
        String role,
        Instant joinedAt,
        // email, name and avatar_url are filled in member lists.
        String email,
        String name,
        String avatarUrl) {
}
