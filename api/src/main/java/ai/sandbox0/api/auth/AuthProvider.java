package ai.sandbox0.api.auth;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** A login provider offered by {@code GET /auth/providers}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record AuthProvider(
        String id,
        String name,
        String type,
        // When set, browser login redirects here instead of starting the OIDC flow.
        String externalAuthPortalUrl,
        boolean browserLoginEnabled,
        boolean deviceLoginEnabled) {
}
