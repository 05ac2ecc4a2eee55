package ai.sandbox0.api.tenancy;

import ai.sandbox0.api.Copies;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/** The body of {@code POST /api-keys}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record CreateApiKeyRequest(
        String name,
        // "team" (the default) or "platform".
        String scope,
        // Checked by the server against admin, developer, builder, viewer.
        List<String> roles,
        // 30d, 90d, 180d, 365d or never.
        String expiresIn) {

    public CreateApiKeyRequest {
        roles = Copies.list(roles);
    }
}
