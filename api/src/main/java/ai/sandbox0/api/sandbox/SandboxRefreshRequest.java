package ai.sandbox0.api.sandbox;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** The optional body of {@code POST …/refresh}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record SandboxRefreshRequest(
        // Seconds to extend the soft TTL by; absent or 0 uses the configured TTL.
        Integer duration) {
}
