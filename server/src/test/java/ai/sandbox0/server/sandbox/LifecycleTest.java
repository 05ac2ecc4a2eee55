package ai.sandbox0.server.sandbox;

import static ai.sandbox0.api.sandbox.SandboxLifecycleStatus.*;
import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.sandbox.SandboxLifecycleStatus;
import org.junit.jupiter.api.Test;

/** The §2.2 conflict table, row by row. */
class LifecycleTest {

    private static Verdict pause(SandboxLifecycleStatus s) {
        return Lifecycle.decide(s, new LifecycleCommand.Pause());
    }

    private static Verdict resume(SandboxLifecycleStatus s) {
        return Lifecycle.decide(s, new LifecycleCommand.Resume());
    }

    @Test
    void pauseIsIdempotentOncePausingAndRefusedWhileStartingOrResuming() {
        assertThat(pause(RUNNING)).isEqualTo(new Verdict.Proceed(PAUSING));
        assertThat(pause(PAUSING)).isInstanceOf(Verdict.AlreadyThere.class);
        assertThat(pause(PAUSED)).isInstanceOf(Verdict.AlreadyThere.class);
        assertThat(pause(STARTING)).isEqualTo(new Verdict.Conflict("cannot pause a sandbox that is starting"));
        assertThat(pause(RESUMING)).isEqualTo(new Verdict.Conflict("cannot pause a sandbox that is resuming"));
    }

    @Test
    void resumeIsANoOpWhenRunningAndRefusedMidTransition() {
        assertThat(resume(PAUSED)).isEqualTo(new Verdict.Proceed(RESUMING));
        assertThat(resume(RUNNING)).isInstanceOf(Verdict.AlreadyThere.class);
        assertThat(resume(STARTING)).isInstanceOf(Verdict.Conflict.class);
        assertThat(resume(PAUSING)).isEqualTo(new Verdict.Conflict("cannot resume a sandbox that is pausing"));
        assertThat(resume(RESUMING)).isInstanceOf(Verdict.Conflict.class);
    }

    @Test
    void rootfsOperationsNeedAPausedSandbox() {
        for (SandboxLifecycleStatus s : SandboxLifecycleStatus.values()) {
            Verdict v = Lifecycle.decide(s, new LifecycleCommand.RootfsOperation("snapshot"));
            if (s == PAUSED) {
                assertThat(v).isEqualTo(new Verdict.Proceed(PAUSED));
            } else {
                assertThat(v).isEqualTo(new Verdict.Conflict(
                        "sandbox rootfs operation requires a paused sandbox (sandbox is " + s.wire() + ")"));
            }
        }
    }

    @Test
    void deleteAlwaysProceedsAndRefreshNeedsARuntime() {
        for (SandboxLifecycleStatus s : SandboxLifecycleStatus.values()) {
            Verdict v = Lifecycle.decide(s, new LifecycleCommand.Delete());
            assertThat(v).isEqualTo(s == TERMINATING ? new Verdict.AlreadyThere() : new Verdict.Proceed(TERMINATING));
        }
        assertThat(Lifecycle.decide(RUNNING, new LifecycleCommand.Refresh())).isEqualTo(new Verdict.Proceed(RUNNING));
        assertThat(Lifecycle.decide(PAUSED, new LifecycleCommand.Refresh())).isInstanceOf(Verdict.Conflict.class);
    }

    @Test
    void runtimeCallsOnAPausedSandboxNeedAResume() {
        assertThat(Lifecycle.decide(RUNNING, new LifecycleCommand.UseRuntime())).isEqualTo(new Verdict.Proceed(RUNNING));
        assertThat(Lifecycle.decide(PAUSED, new LifecycleCommand.UseRuntime())).isInstanceOf(Verdict.NeedsResume.class);
        assertThat(Lifecycle.decide(PAUSING, new LifecycleCommand.UseRuntime())).isInstanceOf(Verdict.NeedsResume.class);
        assertThat(Lifecycle.decide(FAILED, new LifecycleCommand.UseRuntime())).isInstanceOf(Verdict.Conflict.class);
    }
}
