package ai.sandbox0.api.sandbox;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;

/** The payload of {@code GET /api/v1/sandboxes/{id}/status}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SandboxStatus(
        String sandboxId,
        String templateId,
        String teamId,
        String userId,
        String podName,
        SandboxLifecycleStatus status,
        // The schema types these four as plain strings; they carry RFC 3339 timestamps.
        Instant claimedAt,
        Instant expiresAt,
        Instant hardExpiresAt,
        Instant createdAt) {
}
