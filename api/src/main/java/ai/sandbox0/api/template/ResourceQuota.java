package ai.sandbox0.api.template;

/** Container resources as Kubernetes quantities ("500m", "2Gi"). */
public record ResourceQuota(
        // Not in the 0.9.5 SDK, which drops it from specs it sends.
        String cpu,
        String memory,
        // Absent means 512Mi.
        String ephemeralStorage) {
}
