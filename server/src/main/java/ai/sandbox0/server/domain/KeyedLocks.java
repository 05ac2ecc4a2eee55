package ai.sandbox0.server.domain;

import ai.sandbox0.server.domain.DomainException.Conflict;
import ai.sandbox0.server.domain.DomainException.Unavailable;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.MDC;

/**
 * One lock per resource id (a sandbox, a volume): operations on one resource happen one at a time, and one
 * that waits longer than {@code wait} is refused with 409 rather than queued. Work under a lock logs with the
 * id under {@code <kind>_id}. One server drives a store (its advisory lock), so an in-process lock is enough.
 */
public final class KeyedLocks {

    /** Work that may fail with {@code E}. */
    @FunctionalInterface
    public interface Work<T, E extends Exception> {
        T run() throws E;
    }

    private final ConcurrentMap<String, ReentrantLock> locks = new ConcurrentHashMap<>();
    private final String kind;
    private final String logKey;
    private final Duration wait;

    /** @param kind what the ids name, for messages and the log key ({@code sandbox}, {@code volume}) */
    public KeyedLocks(String kind, Duration wait) {
        this.kind = kind;
        this.logKey = kind + "_id";
        this.wait = wait;
    }

    /** Runs {@code work} holding {@code id}'s lock; 409 when another operation holds it longer than the wait. */
    public <T, E extends Exception> T with(String id, Work<T, E> work) throws E {
        ReentrantLock lock = locks.computeIfAbsent(id, k -> new ReentrantLock());
        String previous = MDC.get(logKey);
        MDC.put(logKey, id);
        try {
            if (!lock.tryLock(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new Conflict(kind + " is busy with another operation; try again");
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
                MDC.remove(logKey);
            } else {
                MDC.put(logKey, previous);
            }
        }
    }

    /** Forgets a deleted resource's lock. */
    public void forget(String id) {
        locks.remove(id);
    }
}
