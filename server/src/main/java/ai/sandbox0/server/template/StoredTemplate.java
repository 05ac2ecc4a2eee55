package ai.sandbox0.server.template;

import ai.sandbox0.api.template.SandboxTemplateSpec;
import java.time.Instant;

/**
 * A template as stored. {@code teamId} is empty for public templates; {@code specHash} identifies the
 * spec's content, so warm pools can tell idle sandboxes of an older spec from current ones.
 */
public record StoredTemplate(
        TemplateScope scope,
        String teamId,
        String templateId,
        String userId,
        SandboxTemplateSpec spec,
        String specHash,
        Instant createdAt,
        Instant updatedAt) {
}
