package ai.sandbox0.api.sandbox;

import ai.sandbox0.api.Copies;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/** The body of {@code POST /api/v1/sandboxes}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ClaimRequest(
        // Optional in the schema; the server answers 400 "template is required".
        String template,
        // A rootfs snapshot to start the writable root filesystem from.
        String snapshotId,
        SandboxConfig config,
        List<ClaimMountRequest> mounts) {

    public ClaimRequest {
        mounts = Copies.list(mounts);
    }
}
