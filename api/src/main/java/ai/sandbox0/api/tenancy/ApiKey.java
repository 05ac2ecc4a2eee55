package ai.sandbox0.api.tenancy;

import ai.sandbox0.api.Copies;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;
import java.util.List;

/** An API key as listed; {@code key_value} is masked (first 12 characters, then {@code ***}). */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ApiKey(
        String id,
        String keyValue,
        String teamId,
        String userId,
        String createdBy,
        String name,
        // "team" or "platform".
        String scope,
        List<String> roles,
        boolean isActive,
        Instant expiresAt,
        Instant lastUsedAt,
        Long usageCount,
        Instant createdAt,
        Instant updatedAt) {

    public ApiKey {
        roles = Copies.list(roles);
    }

    // Secrets stay out of logs and error messages.
    @Override
    public String toString() {
        return "ApiKey[id=" + id + ", keyValue=" + (keyValue == null ? null : "<redacted>") + ", teamId=" + teamId
                + ", userId=" + userId + ", createdBy=" + createdBy + ", name=" + name + ", scope=" + scope
                + ", roles=" + roles + ", isActive=" + isActive + ", expiresAt=" + expiresAt
                + ", lastUsedAt=" + lastUsedAt + ", usageCount=" + usageCount + ", createdAt=" + createdAt
                + ", updatedAt=" + updatedAt + "]";
    }
}
