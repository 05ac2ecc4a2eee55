package ai.sandbox0.api.auth;

import ai.sandbox0.api.tenancy.User;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** Tokens issued by login, register, refresh and the device flow. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record LoginResponse(
        String accessToken,
        String refreshToken,
        // Unix time in seconds at which the access token expires.
        long expiresAt,
        User user) {

    // Secrets stay out of logs and error messages.
    @Override
    public String toString() {
        return "LoginResponse[accessToken=" + (accessToken == null ? null : "<redacted>")
                + ", refreshToken=" + (refreshToken == null ? null : "<redacted>") + ", expiresAt=" + expiresAt
                + ", user=" + user + "]";
    }
}
