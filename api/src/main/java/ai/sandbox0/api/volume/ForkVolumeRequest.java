package ai.sandbox0.api.volume;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** The optional body of {@code POST /api/v1/sandboxvolumes/{id}/fork}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ForkVolumeRequest(
        // Absent inherits from the source volume.
        Long defaultPosixUid,
        Long defaultPosixGid,
        // Absent means RWO, whatever the source's mode.
        VolumeAccessMode accessMode) {
}
