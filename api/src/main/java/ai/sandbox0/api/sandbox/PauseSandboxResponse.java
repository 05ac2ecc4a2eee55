package ai.sandbox0.api.sandbox;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * The payload of {@code POST …/pause}. Pausing is asynchronous: usually {@code paused:false, status:"pausing"}.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record PauseSandboxResponse(
        String sandboxId,
        boolean paused,
        SandboxLifecycleStatus status,
        SandboxResourceUsage resourceUsage,
        String updatedMemory,
        String updatedCpu) {
}
