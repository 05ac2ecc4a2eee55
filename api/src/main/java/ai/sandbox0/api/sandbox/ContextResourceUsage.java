package ai.sandbox0.api.sandbox;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** Resource usage of one context within a sandbox. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record ContextResourceUsage(
        String contextId,
        String type,
        String alias,
        Boolean running,
        Boolean paused,
        ResourceUsage usage) {
}
