package ai.sandbox0.api.template;

/** The Kubernetes-style form of a template. */
public record SandboxTemplate(
        String apiVersion,
        String kind,
        ObjectMeta metadata,
        SandboxTemplateSpec spec,
        SandboxTemplateStatus status) {
}
