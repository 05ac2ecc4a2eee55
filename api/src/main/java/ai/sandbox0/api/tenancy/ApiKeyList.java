package ai.sandbox0.api.tenancy;

import ai.sandbox0.api.Copies;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/** The payload of {@code GET /api-keys}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ApiKeyList(
        List<ApiKey> apiKeys) {

    public ApiKeyList {
        apiKeys = Copies.list(apiKeys);
    }
}
