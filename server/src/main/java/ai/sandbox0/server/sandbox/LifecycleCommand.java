package ai.sandbox0.server.sandbox;

/** What a caller (or the TTL reaper) asks of a sandbox's lifecycle. Every command is decided by {@link Lifecycle}. */
public sealed interface LifecycleCommand {

    record Pause() implements LifecycleCommand {
    }

    record Resume() implements LifecycleCommand {
    }

    record Delete() implements LifecycleCommand {
    }

    record Refresh() implements LifecycleCommand {
    }

    /** Snapshot, restore or fork of the rootfs: paused sandboxes only. */
    record RootfsOperation(String what) implements LifecycleCommand {
    }

    /** A context or file call, which needs a runtime. */
    record UseRuntime() implements LifecycleCommand {
    }
}
