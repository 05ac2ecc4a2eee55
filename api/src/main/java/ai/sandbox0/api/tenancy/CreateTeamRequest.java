package ai.sandbox0.api.tenancy;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** The body of {@code POST /teams}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record CreateTeamRequest(
        String name,
        String slug,
        String homeRegionId) {
}
