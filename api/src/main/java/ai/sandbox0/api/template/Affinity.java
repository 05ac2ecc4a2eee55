package ai.sandbox0.api.template;

/** Kubernetes affinity rules. */
public record Affinity(
        NodeAffinity nodeAffinity,
        PodAffinity podAffinity) {
}
