package ai.sandbox0.server.volume;

import ai.sandbox0.server.domain.DomainException.Conflict;
import ai.sandbox0.server.domain.DomainException.Unavailable;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.MDC;

/**
 * One lock per volume: what changes a volume's rows or its subvolumes (snapshot, restore, fork from it, delete)
 * happens one operation at a time, so the store and the pool never disagree about it. One server drives a
 * store (its advisory lock), which makes an in-process lock enough. Work under a lock logs with the volume id.
 */
final class VolumeLocks {

    /** Work that may fail with an I/O error of the pool. */
    @FunctionalInterface
    interface Work<T> {
        T run() throws IOException;
    }

    private final ConcurrentMap<String, ReentrantLock> locks = new ConcurrentHashMap<>();
    private final Duration wait;

    VolumeLocks(Duration wait) {
        this.wait = wait;
    }

    /** Runs {@code work} holding the volume's lock; 409 when another operation holds it longer than the wait. */
    <T> T with(String volumeId, Work<T> work) throws IOException {
        ReentrantLock lock = locks.computeIfAbsent(volumeId, k -> new ReentrantLock());
        String previous = MDC.get("volume_id");
        MDC.put("volume_id", volumeId);
        try {
            if (!lock.tryLock(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new Conflict("volume is busy with another operation; try again");
            }
            try {
                return work.run();
            } finally {
                lock.unlock();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable("interrupted");
        } finally {
            if (previous == null) {
                MDC.remove("volume_id");
            } else {
                MDC.put("volume_id", previous);
            }
        }
    }

    /** Forgets a deleted volume's lock. */
    void forget(String volumeId) {
        locks.remove(volumeId);
    }
}
