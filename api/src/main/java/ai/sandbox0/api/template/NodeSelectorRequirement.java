package ai.sandbox0.api.template;

import ai.sandbox0.api.Copies;
import java.util.List;

/** A Kubernetes node selector requirement. */
public record NodeSelectorRequirement(
        String key,
        String operator,
        List<String> values) {

    public NodeSelectorRequirement {
        values = Copies.list(values);
    }
}
