package ai.sandbox0.api.tenancy;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** A region and the regional gateway that serves it. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Region(
        String id,
        String displayName,
        String regionalGatewayUrl,
        String meteringExportUrl,
        boolean enabled) {
}
