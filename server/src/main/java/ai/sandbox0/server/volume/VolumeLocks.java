package ai.sandbox0.server.volume;

import ai.sandbox0.server.domain.KeyedLocks;
import java.io.IOException;
import java.time.Duration;

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

    private final KeyedLocks locks;

    VolumeLocks(Duration wait) {
        this.locks = new KeyedLocks("volume", wait);
    }

    /** Runs {@code work} holding the volume's lock; 409 when another operation holds it longer than the wait. */
    <T> T with(String volumeId, Work<T> work) throws IOException {
        return locks.<T, IOException>with(volumeId, work::run);
    }

    /** Forgets a deleted volume's lock. */
    void forget(String volumeId) {
        locks.forget(volumeId);
    }
}
