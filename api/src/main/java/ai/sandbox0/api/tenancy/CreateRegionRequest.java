package ai.sandbox0.api.tenancy;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** The body of {@code POST /regions}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record CreateRegionRequest(
        String id,
        String displayName,
        String regionalGatewayUrl,
        String meteringExportUrl,
        Boolean enabled) {
}
