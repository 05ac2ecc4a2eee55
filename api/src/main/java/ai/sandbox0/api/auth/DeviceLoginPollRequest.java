package ai.sandbox0.api.auth;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** The body of {@code POST /auth/oidc/{provider}/device/poll}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record DeviceLoginPollRequest(
        String deviceLoginId) {
}
