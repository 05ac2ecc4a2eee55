package ai.sandbox0.api.tenancy;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** The body of {@code PUT /teams/{id}/members/{userId}}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record UpdateTeamMemberRequest(
        TeamRole role) {
}
