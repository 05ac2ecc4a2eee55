package ai.sandbox0.api.sandbox;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;

/** The payload of {@code POST …/refresh}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record RefreshResponse(
        String sandboxId,
        Instant expiresAt,
        // Zero value 0001-01-01T00:00:00Z means not set.
        Instant hardExpiresAt) {
}
