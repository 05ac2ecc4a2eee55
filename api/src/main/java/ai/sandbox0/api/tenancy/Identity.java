package ai.sandbox0.api.tenancy;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** An external (OIDC) identity linked to the current user. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Identity(
        String id,
        String provider,
        // Unix time in seconds, unlike most timestamps.
        long createdAt) {
}
