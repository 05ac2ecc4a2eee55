package ai.sandbox0.api.volume;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;

/** A volume: storage that lives independently of sandboxes. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SandboxVolume(
        String id,
        String teamId,
        String userId,
        // The volume this one was forked or restored from.
        String sourceVolumeId,
        Long defaultPosixUid,
        Long defaultPosixGid,
        VolumeAccessMode accessMode,
        Instant createdAt,
        Instant updatedAt) {
}
