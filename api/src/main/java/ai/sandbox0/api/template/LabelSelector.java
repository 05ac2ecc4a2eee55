package ai.sandbox0.api.template;

import ai.sandbox0.api.Copies;
import java.util.List;
import java.util.Map;

/** A Kubernetes label selector. */
public record LabelSelector(
        Map<String, String> matchLabels,
        List<LabelSelectorRequirement> matchExpressions) {

    public LabelSelector {
        matchLabels = Copies.map(matchLabels);
        matchExpressions = Copies.list(matchExpressions);
    }
}
