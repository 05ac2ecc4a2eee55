package ai.sandbox0.api.sandbox;

import ai.sandbox0.api.Copies;
import ai.sandbox0.api.service.SandboxAppService;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;
import java.util.List;

/** A sandbox in detail ({@code GET /api/v1/sandboxes/{id}}); it has no {@code cluster_id}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Sandbox(
        String id,
        String templateId,
        String teamId,
        String userId,
        SandboxLifecycleStatus status,
        // True only once status is paused and no runtime is attached (false while pausing).
        boolean paused,
        boolean autoResume,
        List<SandboxAppService> services,
        List<ClaimMountRequest> mounts,
        String podName,
        // Bumped by every resume; SDK resume waits depend on it.
        long runtimeGeneration,
        // Present only when SSH access is configured.
        SandboxSshConnection ssh,
        // Zero value 0001-01-01T00:00:00Z means not set.
        Instant expiresAt,
        // Zero value 0001-01-01T00:00:00Z means not set.
        Instant hardExpiresAt,
        Instant claimedAt,
        Instant createdAt,
        Instant updatedAt,
        // Ours, not upstream's: why the sandbox is failed or still terminating (absent otherwise).
        String statusReason) {

    public Sandbox {
        services = Copies.list(services);
        mounts = Copies.list(mounts);
    }
}
