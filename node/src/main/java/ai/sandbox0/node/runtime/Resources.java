package ai.sandbox0.node.runtime;

import ai.sandbox0.api.template.ResourceQuota;
import java.math.BigDecimal;

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

    /** "500m" → 500, "2" → 2000, "1.5" → 1500. */
    public static long cpuMillis(String q) {
        String s = require(q, "cpu");
        try {
            if (s.endsWith("m")) {
                return Long.parseLong(s.substring(0, s.length() - 1));
            }
            return new BigDecimal(s).movePointRight(3).longValueExact();
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("cpu is not a quantity: " + q);
        }
    }

    /** "2Gi", "512Mi", "1G", "1000" → bytes. */
    public static long bytes(String q) {
        String s = require(q, "memory");
        String[][] suffixes = {
            {"Ki", "1024"}, {"Mi", "1048576"}, {"Gi", "1073741824"}, {"Ti", "1099511627776"},
            {"k", "1000"}, {"K", "1000"}, {"M", "1000000"}, {"G", "1000000000"}, {"T", "1000000000000"}};
        try {
            for (String[] sfx : suffixes) {
                if (s.endsWith(sfx[0])) {
                    return new BigDecimal(s.substring(0, s.length() - sfx[0].length()))
                            .multiply(new BigDecimal(sfx[1])).longValueExact();
                }
            }
            return new BigDecimal(s).longValueExact();
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("not a byte quantity: " + q);
        }
    }

    private static String require(String q, String what) {
        if (q == null || q.isBlank()) {
            throw new IllegalArgumentException(what + " is required");
        }
        return q.strip();
    }
}
