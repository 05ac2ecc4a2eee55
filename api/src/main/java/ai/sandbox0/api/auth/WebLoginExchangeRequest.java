package ai.sandbox0.api.auth;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** The body of {@code POST /auth/web-login/exchange}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record WebLoginExchangeRequest(
        // Short-lived, one-time code handed to the web login callback.
        String loginCode,
        // Must equal the return URL the code was created for.
        String returnUrl) {

    // Secrets stay out of logs and error messages.
    @Override
    public String toString() {
        return "WebLoginExchangeRequest[loginCode=" + (loginCode == null ? null : "<redacted>")
                + ", returnUrl=" + returnUrl + "]";
    }
}
