package ai.sandbox0.api.volume;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** The body of {@code POST /api/v1/sandboxvolumes}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record CreateSandboxVolumeRequest(
        // A volume snapshot to start from.
        String snapshotId,
        // uid and gid are given together or not at all (both 0).
        Long defaultPosixUid,
        Long defaultPosixGid,
        // Absent means RWO.
        VolumeAccessMode accessMode) {
}
