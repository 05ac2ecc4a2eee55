package ai.sandbox0.api.template;

/** A scratch directory mounted into the sandbox. */
public record EmptyDirMountSpec(
        String mountPath,
        String sizeLimit) {
}
