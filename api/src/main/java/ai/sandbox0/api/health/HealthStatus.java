package ai.sandbox0.api.health;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** The payload of {@code /healthz} and {@code /readyz}: {@code {"status":"healthy","timestamp":…}}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record HealthStatus(
        String status,
        // Unix time in seconds (the schema says only int64).
        long timestamp) {
}
