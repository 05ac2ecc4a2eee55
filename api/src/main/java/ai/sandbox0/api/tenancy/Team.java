package ai.sandbox0.api.tenancy;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;

/** A team: the unit that owns sandboxes, templates, volumes, keys and quotas. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Team(
        String id,
        String name,
        String slug,
        String ownerId,
        String homeRegionId,
        Instant createdAt,
        Instant updatedAt) {
}
