package ai.sandbox0.api.template;

/** A Kubernetes toleration. */
public record Toleration(
        String key,
        String operator,
        String value,
        String effect) {
}
