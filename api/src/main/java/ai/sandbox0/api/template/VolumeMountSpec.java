package ai.sandbox0.api.template;

/** A mount point a claim may put a volume on. */
public record VolumeMountSpec(
        String name,
        String mountPath,
        // Required for ROX volumes.
        Boolean readOnly) {
}
