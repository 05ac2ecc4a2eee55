package ai.sandbox0.api.template;

import ai.sandbox0.api.Copies;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;

/** The payload of {@code GET /api/v1/templates}. */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record TemplateList(
        List<Template> templates,
        int count) {

    public TemplateList {
        templates = Copies.list(templates);
    }
}
