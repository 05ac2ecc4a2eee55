package ai.sandbox0.api.template;

import java.time.Instant;

/** A Kubernetes-style condition of a template's pool. */
public record SandboxTemplateCondition(
        String type,
        String status,
        Instant lastTransitionTime,
        String reason,
        String message) {
}
