package ai.sandbox0.api.snapshot;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** The body of {@code POST /api/v1/sandboxes/{id}/rootfs/restore}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record RestoreSandboxRootfsRequest(
        // Required by the server (400 "snapshot_id is required").
        String snapshotId) {
}
