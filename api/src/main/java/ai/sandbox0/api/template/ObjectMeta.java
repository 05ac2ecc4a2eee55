package ai.sandbox0.api.template;

import ai.sandbox0.api.Copies;
import java.util.Map;

/** Kubernetes-style object metadata. */
public record ObjectMeta(
        String name,
        String namespace,
        Map<String, String> labels,
        Map<String, String> annotations) {

    public ObjectMeta {
        labels = Copies.map(labels);
        annotations = Copies.map(annotations);
    }
}
