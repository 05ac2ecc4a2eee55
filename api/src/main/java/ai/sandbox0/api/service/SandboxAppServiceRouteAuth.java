package ai.sandbox0.api.service;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** Route authentication; only SHA-256 digests of the secrets are stored. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SandboxAppServiceRouteAuth(
        RouteAuthMode mode,
        // Hex; for bearer mode.
        String bearerTokenSha256,
        // For header mode.
        String headerName,
        // Hex; for header mode.
        String headerValueSha256) {
}
