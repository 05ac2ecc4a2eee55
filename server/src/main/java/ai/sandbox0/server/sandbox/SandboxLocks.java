package ai.sandbox0.server.sandbox;

import ai.sandbox0.server.domain.DomainException.Conflict;
import ai.sandbox0.server.domain.DomainException.Unavailable;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.MDC;

/**
 * One lock per sandbox: lifecycle transitions of a sandbox happen one at a time (the store's
 * compare-and-set covers other replicas). Work under a lock logs with the sandbox's id.
 */
public final class SandboxLocks {

    private final ConcurrentMap<String, ReentrantLock> locks = new ConcurrentHashMap<>();
    private final Duration wait;

    public SandboxLocks(Duration wait) {
        this.wait = wait;
    }

    /** Runs {@code action} holding the sandbox's lock; 409 when another operation holds it too long. */
    public <T> T with(String id, Supplier<T> action) {
        ReentrantLock lock = locks.computeIfAbsent(id, k -> new ReentrantLock());
        String previous = MDC.get("sandbox_id");
        MDC.put("sandbox_id", id);
        try {
            if (!lock.tryLock(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new Conflict("sandbox is busy with another operation; try again");
            }
            try {
                return action.get();
            } finally {
                lock.unlock();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable("interrupted");
        } finally {
            if (previous == null) {
                MDC.remove("sandbox_id");
            } else {
                MDC.put("sandbox_id", previous);
            }
        }
    }

    /** Forgets a deleted sandbox's lock. */
    public void forget(String id) {
        locks.remove(id);
    }
}
