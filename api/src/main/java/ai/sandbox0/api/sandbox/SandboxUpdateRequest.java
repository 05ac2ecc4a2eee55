package ai.sandbox0.api.sandbox;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** The body of {@code PUT /api/v1/sandboxes/{id}}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SandboxUpdateRequest(
        // Required by the server (400 "config is required").
        SandboxUpdateConfig config) {
}
