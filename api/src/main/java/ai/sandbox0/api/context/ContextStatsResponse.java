package ai.sandbox0.api.context;

import ai.sandbox0.api.sandbox.ResourceUsage;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** {@code ContextStatsResponse} ({@code ContextResourceUsage}). */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonPropertyOrder({"context_id", "type", "alias", "running", "paused", "usage"})
public record ContextStatsResponse(
        String contextId, ProcessType type, String alias, boolean running, boolean paused, ResourceUsage usage) {
}
