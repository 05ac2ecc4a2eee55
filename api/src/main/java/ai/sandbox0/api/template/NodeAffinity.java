package ai.sandbox0.api.template;

import ai.sandbox0.api.Copies;
import java.util.List;

/** Kubernetes node affinity. */
public record NodeAffinity(
        NodeSelector requiredDuringSchedulingIgnoredDuringExecution,
        List<PreferredSchedulingTerm> preferredDuringSchedulingIgnoredDuringExecution) {

    public NodeAffinity {
        preferredDuringSchedulingIgnoredDuringExecution = Copies.list(preferredDuringSchedulingIgnoredDuringExecution);
    }
}
