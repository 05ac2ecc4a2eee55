package ai.sandbox0.server.volume.seal;

import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Seals volumes in the background: every interval, each volume a sandbox has mounted writable and each one
 * changed through the file API since its last seal. A failed seal is tried again at the next interval; the
 * volume keeps its last sealed head meanwhile. At start every volume counts as changed once, so what a crash
 * left unsealed is sealed first.
 */
public final class VolumeSealing implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(VolumeSealing.class);

    private final VolumeSealer sealer;
    private final Supplier<Collection<String>> mountedWritable;
    private final Duration interval;
    private final Set<String> changed = ConcurrentHashMap.newKeySet();
    private volatile Thread thread;

    public VolumeSealing(VolumeSealer sealer, Supplier<Collection<String>> mountedWritable, Duration interval) {
        this.sealer = sealer;
        this.mountedWritable = mountedWritable;
        this.interval = interval;
    }

    /** The volume changed (through the file API, or a sandbox let it go): seal it at the next pass. */
    public void changed(String volumeId) {
        changed.add(volumeId);
    }

    public void changed(Collection<String> volumeIds) {
        changed.addAll(volumeIds);
    }

    /** The volume is gone: nothing to seal. */
    public void forget(String volumeId) {
        changed.remove(volumeId);
    }

    /** One pass: seals what changed and what is mounted writable; returns how many seals failed. */
    public int sealDue() {
        var due = new LinkedHashSet<String>(changed);
        due.addAll(mountedWritable.get());
        int failed = 0;
        for (String volumeId : due) {
            changed.remove(volumeId);
            try {
                sealer.seal(volumeId);
            } catch (NoSuchFileException gone) {
                LOG.debug("volume {}: gone before its seal", volumeId);
            } catch (Exception e) {
                failed++;
                changed.add(volumeId);
                LOG.warn("volume {}: seal failed, trying again in {} s: {}", volumeId, interval.toSeconds(),
                        e.getMessage());
            }
        }
        return failed;
    }

    public VolumeSealing start() {
        thread = Thread.ofVirtual().name("volume-sealing").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(interval);
                    sealDue();
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    LOG.warn("volume sealing pass failed: {}", e.getMessage());
                }
            }
        });
        return this;
    }

    /** Stops the passes, then seals what is due once more: a stopping server leaves nothing unsealed. */
    @Override
    public void close() {
        Thread t = thread;
        if (t != null) {
            t.interrupt();
            try {
                t.join(Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            sealDue();
        }
    }
}
