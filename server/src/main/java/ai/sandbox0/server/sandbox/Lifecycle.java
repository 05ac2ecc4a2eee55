package ai.sandbox0.server.sandbox;

import ai.sandbox0.api.sandbox.SandboxLifecycleStatus;
import ai.sandbox0.server.sandbox.LifecycleCommand.Delete;
import ai.sandbox0.server.sandbox.LifecycleCommand.Pause;
import ai.sandbox0.server.sandbox.LifecycleCommand.Refresh;
import ai.sandbox0.server.sandbox.LifecycleCommand.Resume;
import ai.sandbox0.server.sandbox.LifecycleCommand.RootfsOperation;
import ai.sandbox0.server.sandbox.LifecycleCommand.UseRuntime;

/**
 * The sandbox state machine of spec §2.2, as a pure function: which commands each phase accepts, which
 * it answers idempotently and which it refuses with a 409 naming the phase.
 *
 * <pre>
 * claim → starting → running ─(pause | ttl)→ pausing ─(checkpoint stored)→ paused
 *                       ▲                                                    │
 *                       └──────────── resuming ←─(resume | auto-resume)──────┘
 * any ─(delete | hard ttl)→ terminating → gone          failures → failed
 * </pre>
 */
public final class Lifecycle {

    private Lifecycle() {
    }

    public static Verdict decide(SandboxLifecycleStatus phase, LifecycleCommand command) {
        return switch (command) {
            case Pause p -> switch (phase) {
                case RUNNING -> new Verdict.Proceed(SandboxLifecycleStatus.PAUSING);
                case PAUSING, PAUSED -> new Verdict.AlreadyThere();
                case STARTING, RESUMING, TERMINATING, FAILED -> refuse("pause", phase);
            };
            case Resume r -> switch (phase) {
                case PAUSED, FAILED -> new Verdict.Proceed(SandboxLifecycleStatus.RESUMING);
                case RUNNING -> new Verdict.AlreadyThere();
                case STARTING, PAUSING, RESUMING, TERMINATING -> refuse("resume", phase);
            };
            case Delete d -> phase == SandboxLifecycleStatus.TERMINATING
                    ? new Verdict.AlreadyThere()
                    : new Verdict.Proceed(SandboxLifecycleStatus.TERMINATING);
            case Refresh r -> switch (phase) {
                case RUNNING, STARTING, RESUMING -> new Verdict.Proceed(phase);
                case PAUSING, PAUSED, TERMINATING, FAILED -> refuse("refresh", phase);
            };
            case RootfsOperation op -> phase == SandboxLifecycleStatus.PAUSED
                    ? new Verdict.Proceed(phase)
                    : new Verdict.Conflict("sandbox rootfs operation requires a paused sandbox (sandbox is "
                            + phase.wire() + ")");
            case UseRuntime u -> switch (phase) {
                case RUNNING -> new Verdict.Proceed(phase);
                case PAUSING, PAUSED, RESUMING -> new Verdict.NeedsResume();
                case STARTING, TERMINATING, FAILED -> refuse("use", phase);
            };
        };
    }

    private static Verdict.Conflict refuse(String action, SandboxLifecycleStatus phase) {
        return new Verdict.Conflict("cannot " + action + " a sandbox that is " + phase.wire());
    }
}
