package ai.sandbox0.api.snapshot;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;

/** The optional body of {@code POST /api/v1/sandboxes/{id}/snapshots}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record CreateSandboxRootfsSnapshotRequest(
        String name,
        String description,
        // Metadata only; Zero value 0001-01-01T00:00:00Z means not set.
        Instant expiresAt) {
}
