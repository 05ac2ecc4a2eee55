package ai.sandbox0.api.template;

import ai.sandbox0.api.Copies;
import java.util.List;

/** Kubernetes node selector: any term may match. */
public record NodeSelector(
        List<NodeSelectorTerm> nodeSelectorTerms) {

    public NodeSelector {
        nodeSelectorTerms = Copies.list(nodeSelectorTerms);
    }
}
