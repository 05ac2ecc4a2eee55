package ai.sandbox0.api.auth;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** The body of {@code POST /auth/login}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record LoginRequest(
        String email,
        String password) {

    // Secrets stay out of logs and error messages.
    @Override
    public String toString() {
        return "LoginRequest[email=" + email + ", password=" + (password == null ? null : "<redacted>") + "]";
    }
}
