package ai.sandbox0.api.template;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** The body of {@code POST /api/v1/templates}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record TemplateCreateRequest(
        String templateId,
        SandboxTemplateSpec spec) {
}
