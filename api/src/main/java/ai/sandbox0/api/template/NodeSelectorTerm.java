package ai.sandbox0.api.template;

import ai.sandbox0.api.Copies;
import java.util.List;

/** Kubernetes node selector term: all requirements must match. */
public record NodeSelectorTerm(
        List<NodeSelectorRequirement> matchExpressions,
        List<NodeSelectorRequirement> matchFields) {

    public NodeSelectorTerm {
        matchExpressions = Copies.list(matchExpressions);
        matchFields = Copies.list(matchFields);
    }
}
