package ai.sandbox0.api.tenancy;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** The payload of {@code GET /api-keys/current}: the key is wrapped as {@code {"api_key":…}}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record CurrentApiKeyPayload(
        CurrentApiKeyResponse apiKey) {
}
