package ai.sandbox0.api.tenancy;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** The body of {@code PUT /regions/{id}}; absent fields are left unchanged. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record UpdateRegionRequest(
        String displayName,
        String regionalGatewayUrl,
        String meteringExportUrl,
        Boolean enabled) {
}
