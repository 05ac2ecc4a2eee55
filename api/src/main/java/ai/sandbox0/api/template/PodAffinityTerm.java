package ai.sandbox0.api.template;

import ai.sandbox0.api.Copies;
import java.util.List;

/** A Kubernetes pod affinity term. */
public record PodAffinityTerm(
        LabelSelector labelSelector,
        List<String> namespaces,
        String topologyKey) {

    public PodAffinityTerm {
        namespaces = Copies.list(namespaces);
    }
}
