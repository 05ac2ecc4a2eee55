package ai.sandbox0.api.snapshot;

import ai.sandbox0.api.Copies;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/** The payload of {@code GET /api/v1/sandboxes/{id}/snapshots}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SandboxRootfsSnapshotList(
        List<SandboxRootfsSnapshot> snapshots,
        int count) {

    public SandboxRootfsSnapshotList {
        snapshots = Copies.list(snapshots);
    }
}
