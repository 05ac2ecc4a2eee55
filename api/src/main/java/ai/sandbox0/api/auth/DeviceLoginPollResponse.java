package ai.sandbox0.api.auth;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** One poll of the device flow; {@code login} is present once completed. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record DeviceLoginPollResponse(
        DeviceLoginStatus status,
        Integer intervalSeconds,
        // Unix time in seconds.
        Long expiresAt,
        LoginResponse login) {
}
