package ai.sandbox0.api.template;

/** A weighted Kubernetes node preference. */
public record PreferredSchedulingTerm(
        Integer weight,
        NodeSelectorTerm preference) {
}
