package ai.sandbox0.api.tenancy;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** The body of {@code PUT /api/v1/quotas/{dimension}}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record PutTeamQuotaRequest(
        // Required and >= 0; checked by the server.
        Long limitValue) {
}
