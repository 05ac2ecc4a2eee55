package ai.sandbox0.api.auth;

import ai.sandbox0.api.Copies;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/** The payload of {@code GET /auth/providers}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record AuthProviderList(
        List<AuthProvider> providers) {

    public AuthProviderList {
        providers = Copies.list(providers);
    }
}
