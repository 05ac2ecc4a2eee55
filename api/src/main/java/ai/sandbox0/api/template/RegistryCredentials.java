package ai.sandbox0.api.template;

import java.time.Instant;

/** Short-lived credentials for pushing a template image. camelCase. */
public record RegistryCredentials(
        String provider,
        String pushRegistry,
        String pullRegistry,
        String username,
        String password,
        Instant expiresAt) {

    // Secrets stay out of logs and error messages.
    @Override
    public String toString() {
        return "RegistryCredentials[provider=" + provider + ", pushRegistry=" + pushRegistry
                + ", pullRegistry=" + pullRegistry + ", username=" + username
                + ", password=" + (password == null ? null : "<redacted>") + ", expiresAt=" + expiresAt + "]";
    }
}
