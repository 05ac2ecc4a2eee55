package ai.sandbox0.server.sandbox;

import ai.sandbox0.api.sandbox.SandboxLifecycleStatus;
import ai.sandbox0.api.template.SandboxTemplateSpec;
import ai.sandbox0.api.tenancy.QuotaDimension;
import ai.sandbox0.node.Resources;
import ai.sandbox0.server.domain.DomainException.QuotaExceeded;
import ai.sandbox0.server.tenancy.QuotaStore;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * A team's active sandboxes, CPU and memory against its quotas (spec §8.4): a claim or a resume is let in
 * only if current use plus its demand stays within every limit, else 429 {@code quota_exceeded}. The check
 * and the write that makes the sandbox active run under one lock per team, so concurrent claims cannot both
 * take the last place; one server drives a store (its advisory lock), which makes an in-process lock enough.
 */
public final class QuotaGate {

    /** What holds a run, or is about to: these count against the quotas; paused ones do not. */
    static final Set<SandboxLifecycleStatus> ACTIVE = EnumSet.of(SandboxLifecycleStatus.STARTING,
            SandboxLifecycleStatus.RUNNING, SandboxLifecycleStatus.PAUSING, SandboxLifecycleStatus.RESUMING);

    private final QuotaStore quotas;
    private final SandboxStore store;
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();

    public QuotaGate(QuotaStore quotas, SandboxStore store) {
        this.quotas = quotas;
        this.store = store;
    }

    /** Runs {@code activate} (the write that makes the sandbox active) if the team stays within its quotas. */
    public <T> T admit(String teamId, SandboxTemplateSpec spec, Supplier<T> activate) {
        ReentrantLock lock = locks.computeIfAbsent(teamId, t -> new ReentrantLock());
        lock.lock();
        try {
            check(teamId, spec);
            return activate.get();
        } finally {
            lock.unlock();
        }
    }

    /** What the team's active sandboxes use now: their count, CPU (millicpu) and memory (MiB). */
    public Map<QuotaDimension, Long> usage(String teamId) {
        long count = 0, usedCpu = 0, usedMemory = 0;
        for (SandboxRecord r : store.activeOf(teamId, ACTIVE)) {
            Resources res = Resources.fromQuota(r.spec().mainContainer().resources());
            count++;
            usedCpu += res.cpuMillis();
            usedMemory += res.memoryBytes() >> 20;
        }
        return Map.of(QuotaDimension.ACTIVE_SANDBOXES, count, QuotaDimension.CPU_MILLICPU, usedCpu,
                QuotaDimension.MEMORY_MIB, usedMemory);
    }

    private void check(String teamId, SandboxTemplateSpec spec) {
        Map<QuotaDimension, Long> limits = quotas.limits(teamId);
        Optional<Long> active = Optional.ofNullable(limits.get(QuotaDimension.ACTIVE_SANDBOXES));
        Optional<Long> cpu = Optional.ofNullable(limits.get(QuotaDimension.CPU_MILLICPU));
        Optional<Long> memory = Optional.ofNullable(limits.get(QuotaDimension.MEMORY_MIB));
        if (active.isEmpty() && cpu.isEmpty() && memory.isEmpty()) {
            return;
        }
        Map<QuotaDimension, Long> used = usage(teamId);
        Resources asked = Resources.fromQuota(spec.mainContainer().resources());
        refuseOver(QuotaDimension.ACTIVE_SANDBOXES, active, used.get(QuotaDimension.ACTIVE_SANDBOXES), 1);
        refuseOver(QuotaDimension.CPU_MILLICPU, cpu, used.get(QuotaDimension.CPU_MILLICPU), asked.cpuMillis());
        refuseOver(QuotaDimension.MEMORY_MIB, memory, used.get(QuotaDimension.MEMORY_MIB),
                (asked.memoryBytes() + (1 << 20) - 1) >> 20);
    }

    private static void refuseOver(QuotaDimension dimension, Optional<Long> limit, long used, long asked) {
        if (limit.isPresent() && used + asked > limit.get()) {
            throw new QuotaExceeded("quota exceeded: " + dimension.wire() + " limit " + limit.get() + ", in use "
                    + used + ", this sandbox needs " + asked);
        }
    }
}
