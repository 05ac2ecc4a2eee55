package ai.sandbox0.api.sandbox;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;

/** The state of one volume mounted at claim. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record MountStatus(
        @JsonProperty("sandboxvolume_id") String sandboxVolumeId,
        String mountPoint,
        MountState state,
        Instant mountedAt,
        Long mountedDurationSec,
        String errorCode,
        String errorMessage) {
}
