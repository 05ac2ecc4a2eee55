package ai.sandbox0.api.sandbox;

import ai.sandbox0.api.Copies;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/**
 * The payload of a claim. Its names differ from {@link Sandbox}: {@code sandbox_id} and {@code template}, not
 * {@code id} and {@code template_id}.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ClaimResponse(
        String sandboxId,
        SandboxLifecycleStatus status,
        String podName,
        String template,
        String clusterId,
        List<MountStatus> bootstrapMounts) {

    public ClaimResponse {
        bootstrapMounts = Copies.list(bootstrapMounts);
    }
}
