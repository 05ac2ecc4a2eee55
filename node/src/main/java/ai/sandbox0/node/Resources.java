package ai.sandbox0.node;

import ai.sandbox0.api.Quantity;
import ai.sandbox0.api.template.ResourceQuota;

/**
 * What one sandbox may use: CPU in millicores, memory and /tmp in bytes, and tasks (processes and
 * threads: the JVM of procd alone runs about twenty).
 */
public record Resources(long cpuMillis, long memoryBytes, long pidsLimit, long ephemeralBytes) {

    public static final long DEFAULT_PIDS = 1024;
    public static final long DEFAULT_EPHEMERAL = 512L << 20;

    public Resources {
        if (cpuMillis <= 0) {
            throw new IllegalArgumentException("cpu must be > 0, got " + cpuMillis + "m");
        }
        if (memoryBytes < (32L << 20)) {
            throw new IllegalArgumentException("memory must be at least 32Mi, got " + memoryBytes + " bytes");
        }
        if (pidsLimit < 32) {
            throw new IllegalArgumentException("pids limit must be at least 32, got " + pidsLimit);
        }
        if (ephemeralBytes < 0) {
            throw new IllegalArgumentException("ephemeral storage must be >= 0, got " + ephemeralBytes);
        }
    }

    public static Resources of(String cpu, String memory) {
        return new Resources(cpuMillis(cpu), bytes(memory), DEFAULT_PIDS, DEFAULT_EPHEMERAL);
    }

    /** From a template's Kubernetes quantities ("500m", "2Gi"); absent ephemeral storage means 512Mi. */
    public static Resources fromQuota(ResourceQuota quota) {
        long ephemeral = quota.ephemeralStorage() == null ? DEFAULT_EPHEMERAL : bytes(quota.ephemeralStorage());
        return new Resources(cpuMillis(quota.cpu()), bytes(quota.memory()), DEFAULT_PIDS, ephemeral);
    }

    public Resources withPidsLimit(long pids) {
        return new Resources(cpuMillis, memoryBytes, pids, ephemeralBytes);
    }

    /** "500m" → 500, "2" → 2000, "1.5" → 1500 (Kubernetes quantities, rounded up). */
    public static long cpuMillis(String q) {
        try {
            return Quantity.millicpu(require(q, "cpu"));
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("cpu is out of range: " + q);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cpu: " + e.getMessage());
        }
    }

    /** "2Gi", "512Mi", "1G", "1000" → bytes. */
    public static long bytes(String q) {
        try {
            return Quantity.bytes(require(q, "memory"));
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("memory is out of range: " + q);
        }
    }

    private static String require(String q, String what) {
        if (q == null || q.isBlank()) {
            throw new IllegalArgumentException(what + " is required");
        }
        return q.strip();
    }
}
