package ai.sandbox0.api.snapshot;

import ai.sandbox0.api.sandbox.SandboxLifecycleStatus;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** The payload of a rootfs restore; the sandbox stays paused. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record RestoreSandboxRootfsResponse(
        String sandboxId,
        String snapshotId,
        SandboxLifecycleStatus status) {
}
