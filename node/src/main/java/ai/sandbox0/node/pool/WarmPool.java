package ai.sandbox0.node.pool;

import ai.sandbox0.node.Sandbox;
import ai.sandbox0.node.StartGate;
import ai.sandbox0.node.runtime.SetupException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One template's idle sandboxes, started ahead with procd ready. A claim pops one (O(1), no I/O but a
 * /proc look) and asks for a refill in the background; an empty pool starts one cold for the claim.
 * A template change drains idle sandboxes of the old spec. A cold claim raises how many are kept
 * (up to maxIdle); ten minutes without claims lowers it again. Starts of all pools pass one {@link StartGate},
 * so a burst of claims or refills never starts more sandboxes at once than the host can take, and a
 * claim's own start goes before refills.
 *
 * <p>Thread-safe. {@code idle} is lock-free for claims; {@code lock} only serialises refill decisions
 * (how many to start) with spec changes, so two refills never both start the same missing sandbox.
 */
public final class WarmPool implements AutoCloseable {

    /** How long a warm claim's replacement waits before it starts. */
    static final Duration WARM_CLAIM_REFILL_DELAY = Duration.ofMillis(250);

    private static final Logger log = LoggerFactory.getLogger(WarmPool.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private static final Duration SCALE_DOWN_AFTER = Duration.ofMinutes(10);
    private static final int MAX_STEP = 10;
    private static final int MIN_IDLE_BUFFER = 2;

    private record Idle(Sandbox sandbox, String specHash) {
    }

    private final SandboxFactory factory;
    private final StartGate starts;
    private final ExecutorService executor;
    private final ConcurrentLinkedDeque<Idle> idle = new ConcurrentLinkedDeque<>();
    private final AtomicInteger starting = new AtomicInteger();
    private final ReentrantLock lock = new ReentrantLock();
    private volatile PoolSpec spec;
    private volatile boolean closed;
    // guarded by lock
    private int failures;
    private long retryAtNanos;
    // How many idle sandboxes to keep: minIdle, raised by cold claims up to maxIdle, decaying back.
    private int target;
    private long lastClaimNanos = System.nanoTime();

    public WarmPool(PoolSpec spec, SandboxFactory factory, StartGate starts, ExecutorService executor) {
        this.spec = spec;
        this.target = spec.minIdle();
        this.factory = factory;
        this.starts = starts;
        this.executor = executor;
    }

    public PoolSpec spec() {
        return spec;
    }

    public int idleCount() {
        return idle.size();
    }

    public int startingCount() {
        return starting.get();
    }

    /** The ids of the idle sandboxes, oldest first. */
    public List<String> idleIds() {
        return idle.stream().map(i -> i.sandbox().id()).toList();
    }

    /** How many idle sandboxes the pool currently aims for. */
    public int target() {
        lock.lock();
        try {
            return target;
        } finally {
            lock.unlock();
        }
    }

    /** A ready sandbox: an idle one if there is one of the current spec, else one started now. */
    public Claim claim() throws SetupException {
        if (closed) {
            throw new IllegalStateException("pool " + spec.templateId() + " is closed");
        }
        lastClaimNanos = System.nanoTime();
        PoolSpec current = spec;
        Idle i;
        while ((i = idle.pollFirst()) != null) {
            if (i.specHash().equals(current.specHash()) && factory.alive(i.sandbox())) {
                // The claimer's first commands come right now; a replacement starting at the same moment
                // would take CPU from them on a small host. A short pause costs the pool nothing.
                refillAfter(WARM_CLAIM_REFILL_DELAY);
                return new Claim.Warm(i.sandbox());
            }
            destroyLater(i.sandbox()); // stale or dead: never hand it out
        }
        scaleUpAfterColdClaim();
        refillLater();
        return new Claim.Cold(startOne(current, StartGate.Priority.CALLER));
    }

    /**
     * A claim found the pool empty: keep more idle next time (upstream's OnColdClaim): grow the target
     * by half (at most {@value #MAX_STEP} at once), to at least minIdle + {@value #MIN_IDLE_BUFFER},
     * within [minIdle, maxIdle].
     */
    private void scaleUpAfterColdClaim() {
        lock.lock();
        try {
            PoolSpec s = spec;
            int d = Math.max(target, s.minIdle());
            d += Math.min((d + 1) / 2, MAX_STEP);
            d = Math.max(d, s.minIdle() + MIN_IDLE_BUFFER);
            target = Math.clamp(d, s.minIdle(), s.maxIdle());
        } finally {
            lock.unlock();
        }
    }

    // guarded by lock: without claims for a while, shrink by a tenth towards minIdle.
    private void decay(PoolSpec s) {
        if (target > s.minIdle() && System.nanoTime() - lastClaimNanos > SCALE_DOWN_AFTER.toNanos()) {
            target = Math.max(s.minIdle(), target - Math.max(1, target / 10));
            lastClaimNanos = System.nanoTime();
            trimTo(target);
        }
    }

    /** Applies a template change: drains idle sandboxes of another spec, trims to maxIdle, refills. */
    public void update(PoolSpec next) {
        if (!next.templateId().equals(spec.templateId())) {
            throw new IllegalArgumentException("pool " + spec.templateId() + " cannot take the spec of " + next.templateId());
        }
        lock.lock();
        try {
            spec = next;
            target = next.minIdle();
            failures = 0;
            retryAtNanos = 0;
            for (Idle i : List.copyOf(idle)) {
                if (!i.specHash().equals(next.specHash()) && idle.remove(i)) {
                    destroyLater(i.sandbox());
                }
            }
            trimTo(next.maxIdle());
        } finally {
            lock.unlock();
        }
        refillLater();
    }

    /**
     * The periodic check: idle sandboxes whose procd died are replaced, the target decays when claims
     * stopped, failed starts are retried.
     */
    public void maintain() {
        for (Idle i : List.copyOf(idle)) {
            if (!factory.alive(i.sandbox()) && idle.remove(i)) {
                log.warn("pool {}: idle sandbox {} died; replacing it", spec.templateId(), i.sandbox().id());
                destroyLater(i.sandbox());
            }
        }
        refillLater();
    }

    /** Starts what is missing up to the target (in the background). */
    public void refillLater() {
        if (!closed) {
            executor.execute(this::refill);
        }
    }

    private void refillAfter(Duration delay) {
        if (!closed) {
            executor.execute(() -> {
                long until = System.nanoTime() + delay.toNanos();
                while (!closed && System.nanoTime() < until) {
                    sleep(Math.min(50, (until - System.nanoTime()) / 1_000_000 + 1));
                }
                refill();
            });
        }
    }

    private void refill() {
        PoolSpec s;
        int missing;
        lock.lock();
        try {
            s = spec;
            decay(s);
            missing = target - idle.size() - starting.get();
            long wait = retryAtNanos - System.nanoTime();
            if (closed || missing <= 0) {
                return;
            }
            if (wait > 0) {
                executor.execute(() -> {
                    // Back off after failed starts, but let close() end the wait.
                    long until = System.nanoTime() + wait;
                    while (!closed && System.nanoTime() < until) {
                        sleep(Math.min(100, (until - System.nanoTime()) / 1_000_000 + 1));
                    }
                    refill();
                });
                return;
            }
            starting.addAndGet(missing);
        } finally {
            lock.unlock();
        }
        for (int n = 0; n < missing; n++) {
            executor.execute(() -> startIdle(s));
        }
    }

    private void startIdle(PoolSpec s) {
        Sandbox sb;
        try {
            sb = startOne(s, StartGate.Priority.REFILL);
        } catch (SetupException | RuntimeException e) {
            starting.decrementAndGet();
            lock.lock();
            try {
                failures++;
                long backoff = Math.min(MAX_BACKOFF.toMillis(), 250L << Math.min(failures, 10));
                retryAtNanos = System.nanoTime() + backoff * 1_000_000;
                log.warn("pool {}: idle sandbox failed to start ({} in a row, next try in {} ms): {}",
                        s.templateId(), failures, backoff, e.getMessage());
            } finally {
                lock.unlock();
            }
            refillLater();
            return;
        }
        boolean keep;
        lock.lock();
        try {
            failures = 0;
            keep = !closed && s.specHash().equals(spec.specHash()) && idle.size() < Math.min(target, spec.maxIdle());
            if (keep) {
                idle.addLast(new Idle(sb, s.specHash()));
                starting.decrementAndGet();
            }
        } finally {
            lock.unlock();
        }
        if (!keep) {
            // Still counted as starting until it is gone: close() waits for it, so nothing outlives the pool.
            try {
                destroyQuietly(sb);
            } finally {
                starting.decrementAndGet();
            }
            refillLater(); // the spec changed meanwhile: start one of the new spec instead
        }
    }

    private Sandbox startOne(PoolSpec s, StartGate.Priority priority) throws SetupException {
        String id = newId(s.templateId());
        StartGate.Permit permit;
        try {
            permit = starts.enter(priority);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting to start a sandbox for " + s.templateId(), e);
        }
        try (permit) {
            return factory.start(s.prototype().withId(id));
        }
    }

    // guarded by lock
    private void trimTo(int max) {
        while (idle.size() > max) {
            Idle extra = idle.pollLast();
            if (extra == null) {
                break;
            }
            destroyLater(extra.sandbox());
        }
    }

    private void destroyLater(Sandbox s) {
        try {
            executor.execute(() -> destroyQuietly(s));
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            destroyQuietly(s); // the node is closing: destroy it now rather than leave it running
        }
    }

    private void destroyQuietly(Sandbox s) {
        try {
            factory.destroy(s.id());
        } catch (SetupException | RuntimeException e) {
            log.warn("pool {}: could not destroy idle sandbox {}: {}", spec.templateId(), s.id(), e.toString(), e);
        }
    }

    /**
     * Stops refilling, waits for starts in flight (their sandboxes are destroyed when they finish) and
     * destroys every idle sandbox before returning.
     */
    @Override
    public void close() {
        closed = true;
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (starting.get() > 0 && System.nanoTime() < deadline) {
            sleep(10);
        }
        var left = new ArrayList<Idle>();
        Idle i;
        while ((i = idle.pollFirst()) != null) {
            left.add(i);
        }
        for (Idle l : left) {
            destroyQuietly(l.sandbox());
        }
    }

    /** Sandbox ids: the template's name (shortened) and 12 random hex digits. */
    static String newId(String templateId) {
        String prefix = templateId.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]", "");
        prefix = prefix.isEmpty() ? "sb" : prefix.substring(0, Math.min(12, prefix.length()));
        byte[] b = new byte[6];
        RANDOM.nextBytes(b);
        return prefix + "-" + HexFormat.of().formatHex(b);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
