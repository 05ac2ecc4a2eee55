package ai.sandbox0.api.template;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/** The body of {@code PUT /api/v1/templates/{id}}: the spec is replaced whole. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record TemplateUpdateRequest(
        SandboxTemplateSpec spec) {
}
