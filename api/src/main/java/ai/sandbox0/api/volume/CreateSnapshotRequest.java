package ai.sandbox0.api.volume;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** The body of {@code POST /api/v1/sandboxvolumes/{id}/snapshots}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record CreateSnapshotRequest(
        // Required by the server.
        String name,
        String description) {
}
