package ai.sandbox0.api.template;

import ai.sandbox0.api.Copies;
import java.util.List;

/** A Kubernetes label selector requirement. */
public record LabelSelectorRequirement(
        String key,
        String operator,
        List<String> values) {

    public LabelSelectorRequirement {
        values = Copies.list(values);
    }
}
