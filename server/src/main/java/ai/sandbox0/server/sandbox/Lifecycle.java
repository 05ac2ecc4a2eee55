package ai.sandbox0.server.sandbox;

import static ai.sandbox0.api.sandbox.SandboxLifecycleStatus.FAILED;
import static ai.sandbox0.api.sandbox.SandboxLifecycleStatus.PAUSED;
import static ai.sandbox0.api.sandbox.SandboxLifecycleStatus.PAUSING;
import static ai.sandbox0.api.sandbox.SandboxLifecycleStatus.RESUMING;
import static ai.sandbox0.api.sandbox.SandboxLifecycleStatus.RUNNING;
import static ai.sandbox0.api.sandbox.SandboxLifecycleStatus.STARTING;
import static ai.sandbox0.api.sandbox.SandboxLifecycleStatus.TERMINATING;

import ai.sandbox0.api.sandbox.SandboxLifecycleStatus;
import ai.sandbox0.server.sandbox.LifecycleCommand.Delete;
import ai.sandbox0.server.sandbox.LifecycleCommand.Pause;
import ai.sandbox0.server.sandbox.LifecycleCommand.Refresh;
import ai.sandbox0.server.sandbox.LifecycleCommand.Resume;
import ai.sandbox0.server.sandbox.LifecycleCommand.RootfsOperation;
import ai.sandbox0.server.sandbox.LifecycleCommand.Update;
import ai.sandbox0.server.sandbox.LifecycleCommand.UseRuntime;
import ai.sandbox0.server.sandbox.Verdict.AlreadyThere;
import ai.sandbox0.server.sandbox.Verdict.NeedsResume;
import ai.sandbox0.server.sandbox.Verdict.Proceed;
import ai.sandbox0.server.sandbox.Verdict.Refused;

/**
 * The sandbox state machine of spec §2.2 as one pure function: which commands each phase accepts,
 * which it answers idempotently and which it refuses with a 409 naming the phase.
 *
 * <pre>
 * claim → starting → running ─(pause | ttl)→ pausing ─(checkpoint stored)→ paused
 *                       ▲                                                    │
 *                       └──────────── resuming ←─(resume | auto-resume)──────┘
 * any ─(delete | hard ttl)→ terminating → gone          failures → failed
 * </pre>
 *
 * A claim is the table's first row: no sandbox → {@link #FIRST}. {@code failed} means the last
 * checkpoint could not be saved; the run's changes are still on the host, so a resume first retries it.
 */
public final class Lifecycle {

    /** The phase a claimed sandbox is recorded in before its run starts. */
    public static final SandboxLifecycleStatus FIRST = STARTING;

    private Lifecycle() {
    }

    public static <V extends Verdict> V decide(SandboxLifecycleStatus phase, LifecycleCommand<V> command) {
        Verdict verdict = switch (command) {
            case Pause p -> pause(phase);
            case Resume r -> resume(phase);
            case Delete d -> delete(phase);
            case Update u -> update(phase);
            case Refresh r -> refresh(phase);
            case RootfsOperation op -> rootfs(phase);
            case UseRuntime u -> useRuntime(phase);
        };
        @SuppressWarnings("unchecked") // each arm returns the family its command's type parameter names
        V typed = (V) verdict;
        return typed;
    }

    private static Verdict.Transition pause(SandboxLifecycleStatus phase) {
        return switch (phase) {
            case RUNNING -> new Proceed(PAUSING);
            case PAUSING, PAUSED -> new AlreadyThere();
            case STARTING, RESUMING, TERMINATING, FAILED -> refuse("pause", phase);
        };
    }

    private static Verdict.Transition resume(SandboxLifecycleStatus phase) {
        return switch (phase) {
            case PAUSED, FAILED -> new Proceed(RESUMING);
            case RUNNING -> new AlreadyThere();
            case STARTING, PAUSING, RESUMING, TERMINATING -> refuse("resume", phase);
        };
    }

    private static Verdict.Removal delete(SandboxLifecycleStatus phase) {
        return phase == TERMINATING ? new AlreadyThere() : new Proceed(TERMINATING);
    }

    private static Verdict.Change update(SandboxLifecycleStatus phase) {
        return switch (phase) {
            case STARTING, RUNNING, PAUSING, PAUSED, RESUMING, FAILED -> new Proceed(phase);
            case TERMINATING -> refuse("update", phase);
        };
    }

    private static Verdict.Change refresh(SandboxLifecycleStatus phase) {
        return switch (phase) {
            case RUNNING, STARTING, RESUMING -> new Proceed(phase);
            case PAUSING, PAUSED, TERMINATING, FAILED -> refuse("refresh", phase);
        };
    }

    private static Verdict.Change rootfs(SandboxLifecycleStatus phase) {
        return phase == PAUSED ? new Proceed(phase)
                : new Refused("sandbox rootfs operation requires a paused sandbox (sandbox is " + phase.wire() + ")");
    }

    private static Verdict.RuntimeUse useRuntime(SandboxLifecycleStatus phase) {
        return switch (phase) {
            case RUNNING -> new Proceed(phase);
            // A failed sandbox resumes like a paused one: the resume saves the unsaved run first.
            case PAUSING, PAUSED, RESUMING, FAILED -> new NeedsResume();
            case STARTING, TERMINATING -> refuse("use", phase);
        };
    }

    private static Refused refuse(String action, SandboxLifecycleStatus phase) {
        return new Refused("cannot " + action + " a sandbox that is " + phase.wire());
    }
}
