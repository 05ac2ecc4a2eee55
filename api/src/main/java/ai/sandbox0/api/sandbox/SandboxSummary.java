package ai.sandbox0.api.sandbox;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;

/** A sandbox as listed by {@code GET /api/v1/sandboxes}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SandboxSummary(
        String id,
        String templateId,
        SandboxLifecycleStatus status,
        boolean paused,
        long runtimeGeneration,
        // Multi-cluster deployments only.
        String clusterId,
        Instant createdAt,
        Instant expiresAt,
        // Zero value 0001-01-01T00:00:00Z means not set.
        Instant hardExpiresAt,
        Instant updatedAt) {
}
