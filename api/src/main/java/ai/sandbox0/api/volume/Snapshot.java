package ai.sandbox0.api.volume;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;

/** An immutable state of a volume. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Snapshot(
        String id,
        String volumeId,
        String name,
        String description,
        // Logical size; may be 0.
        long sizeBytes,
        // Upstream writes these with second precision.
        Instant createdAt,
        Instant expiresAt) {
}
