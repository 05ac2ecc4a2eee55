package ai.sandbox0.api.template;

/** A container environment variable. */
public record EnvVar(
        String name,
        String value) {
}
