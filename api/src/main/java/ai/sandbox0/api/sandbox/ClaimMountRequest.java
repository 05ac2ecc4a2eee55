package ai.sandbox0.api.sandbox;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** A volume to mount at claim; also echoed as {@code Sandbox.mounts}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ClaimMountRequest(
        @JsonProperty("sandboxvolume_id") String sandboxVolumeId,
        String mountPoint) {
}
