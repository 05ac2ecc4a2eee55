package ai.sandbox0.api.health;

import ai.sandbox0.api.Copies;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/**
 * The payload of {@code GET /metadata}: upstream's {@code gateway_mode} and {@code service}, plus ours
 * (optional, so upstream clients ignore them): the region, the server version and the API families
 * this server serves.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record GatewayMetadata(
        GatewayMode gatewayMode,
        String service,
        String region,
        String version,
        List<String> features) {

    public GatewayMetadata {
        features = Copies.list(features);
    }
}
