package ai.sandbox0.api.auth;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** The body of {@code POST /auth/change-password}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ChangePasswordRequest(
        String oldPassword,
        String newPassword) {

    // Secrets stay out of logs and error messages.
    @Override
    public String toString() {
        return "ChangePasswordRequest[oldPassword=" + (oldPassword == null ? null : "<redacted>")
                + ", newPassword=" + (newPassword == null ? null : "<redacted>") + "]";
    }
}
