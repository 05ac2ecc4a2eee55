package ai.sandbox0.api.volume;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** The payload of a volume snapshot restore: {@code {"status":"restored"}}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SnapshotRestoreResult(
        String status) {
}
