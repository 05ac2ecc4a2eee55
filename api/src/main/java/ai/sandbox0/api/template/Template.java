package ai.sandbox0.api.template;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;

/** A template. Its own fields are snake_case; {@code spec} and {@code status} are camelCase. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record Template(
        String templateId,
        // "public" (builtin) or "team".
        String scope,
        String teamId,
        String userId,
        SandboxTemplateSpec spec,
        SandboxTemplateStatus status,
        Instant createdAt,
        Instant updatedAt) {
}
