package ai.sandbox0.api.auth;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** The payload of {@code POST /auth/oidc/{provider}/device/start}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record DeviceLoginStartResponse(
        String deviceLoginId,
        String userCode,
        String verificationUri,
        String verificationUriComplete,
        // Unix time in seconds.
        long expiresAt,
        int intervalSeconds) {
}
