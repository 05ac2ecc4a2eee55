package ai.sandbox0.server.sandbox;

import ai.sandbox0.server.domain.KeyedLocks;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * One lock per sandbox: lifecycle transitions of a sandbox happen one at a time (the store's
 * compare-and-set covers other replicas). Work under a lock logs with the sandbox's id.
 */
public final class SandboxLocks {

    private final KeyedLocks locks;

    public SandboxLocks(Duration wait) {
        this.locks = new KeyedLocks("sandbox", wait);
    }

    /** Runs {@code action} holding the sandbox's lock; 409 when another operation holds it too long. */
    public <T> T with(String id, Supplier<T> action) {
        return locks.with(id, action::get);
    }

    /** Forgets a deleted sandbox's lock. */
    public void forget(String id) {
        locks.forget(id);
    }
}
