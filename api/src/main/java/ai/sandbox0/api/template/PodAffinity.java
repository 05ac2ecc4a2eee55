package ai.sandbox0.api.template;

import ai.sandbox0.api.Copies;
import java.util.List;

/** Kubernetes pod affinity. */
public record PodAffinity(
        List<PodAffinityTerm> requiredDuringSchedulingIgnoredDuringExecution,
        List<WeightedPodAffinityTerm> preferredDuringSchedulingIgnoredDuringExecution) {

    public PodAffinity {
        requiredDuringSchedulingIgnoredDuringExecution = Copies.list(requiredDuringSchedulingIgnoredDuringExecution);
        preferredDuringSchedulingIgnoredDuringExecution = Copies.list(preferredDuringSchedulingIgnoredDuringExecution);
    }
}
