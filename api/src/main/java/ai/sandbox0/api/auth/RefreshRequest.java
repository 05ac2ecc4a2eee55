package ai.sandbox0.api.auth;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** The body of {@code POST /auth/refresh}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record RefreshRequest(
        String refreshToken) {

    // Secrets stay out of logs and error messages.
    @Override
    public String toString() {
        return "RefreshRequest[refreshToken=" + (refreshToken == null ? null : "<redacted>") + "]";
    }
}
