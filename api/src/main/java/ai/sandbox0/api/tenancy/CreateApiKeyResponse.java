package ai.sandbox0.api.tenancy;

import ai.sandbox0.api.Copies;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;
import java.util.List;

/** A created API key; the only time {@code key} is shown. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record CreateApiKeyResponse(
        String id,
        String name,
        String scope,
        List<String> roles,
        String teamId,
        String key,
        Instant expiresAt,
        Instant createdAt) {

    public CreateApiKeyResponse {
        roles = Copies.list(roles);
    }

    // Secrets stay out of logs and error messages.
    @Override
    public String toString() {
        return "CreateApiKeyResponse[id=" + id + ", name=" + name + ", scope=" + scope + ", roles=" + roles
                + ", teamId=" + teamId + ", key=" + (key == null ? null : "<redacted>") + ", expiresAt=" + expiresAt
                + ", createdAt=" + createdAt + "]";
    }
}
