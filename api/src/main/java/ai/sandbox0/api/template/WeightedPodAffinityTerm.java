package ai.sandbox0.api.template;

/** A weighted Kubernetes pod affinity term. */
public record WeightedPodAffinityTerm(
        Integer weight,
        PodAffinityTerm podAffinityTerm) {
}
