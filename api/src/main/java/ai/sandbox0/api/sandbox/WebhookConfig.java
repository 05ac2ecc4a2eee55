package ai.sandbox0.api.sandbox;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** Where a sandbox delivers its lifecycle, process and file events; fixed at claim. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record WebhookConfig(
        String url,
        // Signs each body: X-Sandbox0-Signature = hex(HMAC-SHA256(secret, body)).
        String secret,
        // Emits file.modified events for changes below this directory.
        String watchDir) {

    // Secrets stay out of logs and error messages.
    @Override
    public String toString() {
        return "WebhookConfig[url=" + url + ", secret=" + (secret == null ? null : "<redacted>")
                + ", watchDir=" + watchDir + "]";
    }
}
