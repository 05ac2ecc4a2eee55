package ai.sandbox0.api.snapshot;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;

/** An immutable copy of a paused sandbox's root filesystem. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SandboxRootfsSnapshot(
        String id,
        // The source sandbox.
        String sandboxId,
        String name,
        String description,
        Instant createdAt,
        // Zero value 0001-01-01T00:00:00Z means not set.
        Instant expiresAt) {
}
