package ai.sandbox0.node.runtime;

import ai.sandbox0.node.Resources;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cgroup limits of one sandbox, in OCI terms. runc maps them to v1 files (cpu.cfs_quota_us,
 * memory.limit_in_bytes…) or v2 files (cpu.max, memory.max, memory.swap.max…) itself; what differs
 * here is swap: v2 always has memory.swap.max, v1 only with memsw accounting, and asking runc for a
 * swap limit the kernel cannot enforce fails the create.
 */
public record CgroupLimits(long cpuQuota, long cpuPeriod, long cpuShares, long memoryLimit, Long memorySwap,
        long pidsLimit) {

    static final long PERIOD = 100_000;

    public static CgroupLimits of(Resources r, CgroupLayout layout) {
        long quota = Math.max(1000, r.cpuMillis() * PERIOD / 1000);
        long shares = Math.max(2, r.cpuMillis() * 1024 / 1000);
        // memory+swap equal to memory: the sandbox may not swap at all.
        Long swap = switch (layout) {
            case CgroupLayout.V2 v2 -> r.memoryBytes();
            case CgroupLayout.V1 v1 -> v1.swapAccounting() ? r.memoryBytes() : null;
        };
        return new CgroupLimits(quota, PERIOD, shares, r.memoryBytes(), swap, r.pidsLimit());
    }

    /**
     * What a starting sandbox weighs against running ones when the CPU is contended (a 1-CPU sandbox
     * weighs 1024): a start takes CPU nobody running wants, so the sandboxes already serving their users
     * keep their latency while others start, and still gets enough never to stall.
     */
    static final long STARTUP_SHARES = 64;

    /**
     * The limits a sandbox starts with: the CPU quota raised to at least {@code cpus} whole CPUs (procd's JVM
     * needs about a third of a CPU-second to start; under a 500m quota that alone takes half a second), and
     * its CPU weight lowered to {@link #STARTUP_SHARES}. The launcher gives back the weight once procd is
     * ready and the quota once it is warm, before any user code runs.
     */
    public CgroupLimits withStartupBoost(int cpus) {
        return new CgroupLimits(Math.max(cpuQuota, cpus * PERIOD), cpuPeriod, Math.min(cpuShares, STARTUP_SHARES),
                memoryLimit, memorySwap, pidsLimit);
    }

    public boolean boosted(CgroupLimits base) {
        return cpuQuota != base.cpuQuota || cpuShares != base.cpuShares;
    }

    /** {@code linux.resources} of config.json: a private device allow-list (runc adds the usual devices). */
    public Map<String, Object> toOci() {
        var memory = new LinkedHashMap<String, Object>();
        memory.put("limit", memoryLimit);
        if (memorySwap != null) {
            memory.put("swap", memorySwap);
        }
        var res = new LinkedHashMap<String, Object>();
        res.put("devices", List.of(Map.of("allow", false, "access", "rwm")));
        res.put("memory", memory);
        res.put("cpu", Map.of("shares", cpuShares, "quota", cpuQuota, "period", cpuPeriod));
        res.put("pids", Map.of("limit", pidsLimit));
        return res;
    }
}
