package ai.sandbox0.server.volume.seal;

import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seals volumes in the background, so the API's snapshot and fork stay as cheap as the copy-on-write they
 * are: a snapshot (immutable) and a new fork are sealed as soon as the worker gets to them; every interval,
 * each volume a sandbox has mounted writable and each one changed through the file API since its last seal.
 * A failed seal is tried again at the next interval; the volume keeps its last sealed head meanwhile.
 */
public final class VolumeSealing implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(VolumeSealing.class);

    private final VolumeSealer sealer;
    private final Supplier<Collection<String>> mountedWritable;
    private final Duration interval;
    private final Set<String> changed = ConcurrentHashMap.newKeySet();
    /** A snapshot waiting for its seal, taken at or after {@code takenAt}. */
    private record Taken(String volumeId, Instant takenAt) {
    }

    private final Map<String, Taken> snapshots = new ConcurrentHashMap<>();
    /** New volume id → the manifest it was copied from (empty string: none sealed). */
    private final Map<String, String> copies = new ConcurrentHashMap<>();
    private final Semaphore wake = new Semaphore(0);
    private volatile Thread thread;
    private volatile boolean stopping;
    private volatile Set<String> lastHeld = Set.of();

    public VolumeSealing(VolumeSealer sealer, Supplier<Collection<String>> mountedWritable, Duration interval) {
        this.sealer = sealer;
        this.mountedWritable = mountedWritable;
        this.interval = interval;
    }

    /** The volume changed (through the file API, or a sandbox let it go): seal it at the next interval. */
    public void changed(String volumeId) {
        changed.add(volumeId);
    }

    public void changed(Collection<String> volumeIds) {
        changed.addAll(volumeIds);
    }

    /** An API snapshot was taken (at or after {@code takenAt}, a time read before taking it): seal it now. */
    public void snapshotTaken(String volumeId, String snapshotId, Instant takenAt) {
        snapshots.put(snapshotId, new Taken(volumeId, takenAt));
        wake.release();
    }

    /**
     * A volume was made from another's state (whose sealed manifest, if any, is given), or must be sealed now for
     * another reason (empty basis): the worker seals it as soon as it gets to it.
     */
    public void copied(String volumeId, Optional<String> basisManifest) {
        copies.put(volumeId, basisManifest.orElse(""));
        wake.release();
    }

    /** The volume is gone: nothing to seal. */
    public void forget(String volumeId) {
        changed.remove(volumeId);
        copies.remove(volumeId);
        snapshots.values().removeIf(t -> t.volumeId().equals(volumeId));
    }

    /** Seals the snapshots and copies waiting; returns how many failed (they stay queued). */
    public int sealPrompt() {
        int failed = 0;
        for (var e : Map.copyOf(snapshots).entrySet()) {
            Taken taken = e.getValue();
            failed += attempt(taken.volumeId(), () -> sealer.sealSnapshot(taken.volumeId(), e.getKey(), taken.takenAt()),
                    () -> snapshots.remove(e.getKey()));
        }
        for (var e : Map.copyOf(copies).entrySet()) {
            Optional<String> basis = e.getValue().isEmpty() ? Optional.empty() : Optional.of(e.getValue());
            failed += attempt(e.getKey(), () -> sealer.sealCopy(e.getKey(), basis), () -> copies.remove(e.getKey()));
        }
        return failed;
    }

    /**
     * One full pass: what is prompt, then what changed, what is held writable now and what was at the last pass
     * (a sandbox that let a volume go since gets its last writes sealed); returns the failures.
     */
    public int sealDue() {
        int failed = sealPrompt();
        var due = new LinkedHashSet<String>(changed);
        Collection<String> held = mountedWritable.get();
        due.addAll(held);
        due.addAll(lastHeld);
        lastHeld = Set.copyOf(held);
        for (String volumeId : due) {
            changed.remove(volumeId);
            failed += attempt(volumeId, () -> sealer.seal(volumeId), () -> { });
        }
        return failed;
    }

    private interface SealStep {
        Object run() throws Exception;
    }

    private int attempt(String volumeId, SealStep step, Runnable done) {
        try {
            step.run();
            done.run();
            return 0;
        } catch (NoSuchFileException gone) {
            LOG.debug("volume {}: gone before its seal", volumeId);
            done.run();
            return 0;
        } catch (Exception e) {
            changed.add(volumeId);
            LOG.warn("volume {}: seal failed, trying again within {} s: {}", volumeId, interval.toSeconds(),
                    e.toString(), e);
            return 1;
        }
    }

    public VolumeSealing start() {
        thread = Thread.ofVirtual().name("volume-sealing").start(() -> {
            long next = System.nanoTime() + interval.toNanos();
            while (!stopping) {
                try {
                    long left = next - System.nanoTime();
                    if (left > 0 && wake.tryAcquire(left, TimeUnit.NANOSECONDS)) {
                        wake.drainPermits();
                        if (!stopping) {
                            sealPrompt();
                        }
                        continue;
                    }
                    next = System.nanoTime() + interval.toNanos();
                    sealDue();
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    LOG.warn("volume sealing pass failed: {}", e.toString());
                }
            }
        });
        return this;
    }

    /**
     * Stops the passes (a seal under way finishes: interrupting it would abort its writes), then seals what is due
     * once more: a stopping server leaves nothing unsealed.
     */
    @Override
    public void close() {
        Thread t = thread;
        if (t != null) {
            stopping = true;
            wake.release();
            try {
                t.join(Duration.ofSeconds(60));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            sealDue();
        }
    }
}
