package ai.sandbox0.api.auth;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** The body of {@code POST /auth/register}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record RegisterRequest(
        String email,
        String password,
        String name,
        // Required in global-gateway mode, where registration creates the first team.
        String homeRegionId) {

    // Secrets stay out of logs and error messages.
    @Override
    public String toString() {
        return "RegisterRequest[email=" + email + ", password=" + (password == null ? null : "<redacted>")
                + ", name=" + name + ", homeRegionId=" + homeRegionId + "]";
    }
}
