package ai.sandbox0.node.pool;

import ai.sandbox0.node.StartGate;
import ai.sandbox0.node.runtime.SetupException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;

/** The warm pools of all templates on this node, sharing one bound on concurrent starts. */
public final class WarmPools implements AutoCloseable {

    private final SandboxFactory factory;
    private final StartGate starts;
    private final ExecutorService executor;
    private final Map<String, WarmPool> pools = new ConcurrentHashMap<>();

    private volatile boolean closed;

    public WarmPools(SandboxFactory factory, StartGate starts, ExecutorService executor) {
        this(factory, starts, executor, Duration.ofSeconds(30));
    }

    /** @param maintenance how often every pool is checked ({@link WarmPool#maintain}) */
    public WarmPools(SandboxFactory factory, StartGate starts, ExecutorService executor, Duration maintenance) {
        this.factory = factory;
        this.starts = starts;
        this.executor = executor;
        executor.execute(() -> {
            while (!closed) {
                long until = System.nanoTime() + maintenance.toNanos();
                while (!closed && System.nanoTime() < until) {
                    try {
                        Thread.sleep(Math.min(100, maintenance.toMillis()));
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (!closed) {
                    pools.values().forEach(WarmPool::maintain);
                }
            }
        });
    }

    /** Creates the template's pool, or applies a changed spec to it (draining stale idle sandboxes). */
    public WarmPool configure(PoolSpec spec) {
        WarmPool pool = pools.computeIfAbsent(spec.templateId(), t -> new WarmPool(spec, factory, starts, executor));
        if (pool.spec() != spec) {
            pool.update(spec);
        } else {
            pool.refillLater();
        }
        return pool;
    }

    public Optional<WarmPool> get(String templateId) {
        return Optional.ofNullable(pools.get(templateId));
    }

    public Claim claim(String templateId) throws SetupException {
        WarmPool pool = pools.get(templateId);
        if (pool == null) {
            throw new IllegalArgumentException("no pool for template " + templateId + "; configure it first");
        }
        return pool.claim();
    }

    /** The template was deleted: its idle sandboxes go, claimed ones keep running. */
    public void remove(String templateId) {
        WarmPool pool = pools.remove(templateId);
        if (pool != null) {
            pool.close();
        }
    }

    /** The gate cold starts outside pools pass too. */
    public StartGate starts() {
        return starts;
    }

    @Override
    public void close() {
        closed = true;
        pools.values().parallelStream().forEach(WarmPool::close);
        pools.clear();
    }
}
