package ai.sandbox0.api.tenancy;

import ai.sandbox0.api.Copies;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;
import java.util.List;

/** The API key a request was made with, as introspected by {@code GET /api-keys/current}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record CurrentApiKeyResponse(
        String id,
        String teamId,
        String createdBy,
        String scope,
        List<String> roles,
        List<String> permissions,
        boolean isActive,
        Instant expiresAt) {

    public CurrentApiKeyResponse {
        roles = Copies.list(roles);
        permissions = Copies.list(permissions);
    }
}
