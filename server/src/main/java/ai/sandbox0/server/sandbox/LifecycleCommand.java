package ai.sandbox0.server.sandbox;

/**
 * What a caller (or the TTL reaper, or recovery) asks of a sandbox's lifecycle. Every command is
 * decided by {@link Lifecycle}; its type parameter is the family of outcomes it can have.
 */
public sealed interface LifecycleCommand<V extends Verdict> {

    record Pause() implements LifecycleCommand<Verdict.Transition> {
    }

    record Resume() implements LifecycleCommand<Verdict.Transition> {
    }

    record Delete() implements LifecycleCommand<Verdict.Removal> {
    }

    /** {@code PUT /sandboxes/{id}}: configuration, TTLs, env of the running processes to come. */
    record Update() implements LifecycleCommand<Verdict.Change> {
    }

    record Refresh() implements LifecycleCommand<Verdict.Change> {
    }

    /** Snapshot, restore or fork of the rootfs: paused sandboxes only. */
    record RootfsOperation() implements LifecycleCommand<Verdict.Change> {
    }

    /** A context or file call, which needs a runtime. */
    record UseRuntime() implements LifecycleCommand<Verdict.RuntimeUse> {
    }
}
