package ai.sandbox0.server.identity.oidc;

import java.time.Instant;

/** A device login in progress; {@code deviceCode} is the provider's secret for polling it. */
public record DeviceLogin(String id, String provider, String deviceCode, String userCode, String verificationUri,
        String verificationUriComplete, int intervalSeconds, Instant expiresAt, Instant consumedAt,
        Instant createdAt) {

    @Override
    public String toString() {
        return "DeviceLogin[id=" + id + ", provider=" + provider + ", expiresAt=" + expiresAt + "]";
    }
}
