package ai.sandbox0.server.sandbox;

import static ai.sandbox0.api.sandbox.SandboxLifecycleStatus.FAILED;
import static ai.sandbox0.api.sandbox.SandboxLifecycleStatus.PAUSED;
import static ai.sandbox0.api.sandbox.SandboxLifecycleStatus.PAUSING;
import static ai.sandbox0.api.sandbox.SandboxLifecycleStatus.RESUMING;
import static ai.sandbox0.api.sandbox.SandboxLifecycleStatus.RUNNING;
import static ai.sandbox0.api.sandbox.SandboxLifecycleStatus.STARTING;
import static ai.sandbox0.api.sandbox.SandboxLifecycleStatus.TERMINATING;
import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The §2.2 phase table, every command in every phase. */
class LifecycleTest {

    private static final List<SandboxLifecycleStatus> PHASES =
            List.of(STARTING, RUNNING, PAUSING, PAUSED, RESUMING, TERMINATING, FAILED);

    private static void row(LifecycleCommand<?> command, Map<SandboxLifecycleStatus, Verdict> expected) {
        assertThat(expected.keySet()).as("the test lists every phase").containsExactlyInAnyOrderElementsOf(PHASES);
        for (SandboxLifecycleStatus phase : PHASES) {
            assertThat((Verdict) Lifecycle.decide(phase, command)).as("%s while %s", command, phase)
                    .isEqualTo(expected.get(phase));
        }
    }

    private static Refused refused(String action, SandboxLifecycleStatus phase) {
        return new Refused("cannot " + action + " a sandbox that is " + phase.wire());
    }

    @Test
    void pause() {
        row(new Pause(), Map.of(
                STARTING, refused("pause", STARTING),
                RUNNING, new Proceed(PAUSING),
                PAUSING, new AlreadyThere(),
                PAUSED, new AlreadyThere(),
                RESUMING, refused("pause", RESUMING),
                TERMINATING, refused("pause", TERMINATING),
                FAILED, refused("pause", FAILED)));
    }

    @Test
    void resume() {
        row(new Resume(), Map.of(
                STARTING, refused("resume", STARTING),
                RUNNING, new AlreadyThere(),
                PAUSING, refused("resume", PAUSING),
                PAUSED, new Proceed(RESUMING),
                RESUMING, refused("resume", RESUMING),
                TERMINATING, refused("resume", TERMINATING),
                FAILED, new Proceed(RESUMING)));
    }

    @Test
    void deleteIsNeverRefusedAndASecondOneFinishesTheFirst() {
        row(new Delete(), Map.of(
                STARTING, new Proceed(TERMINATING),
                RUNNING, new Proceed(TERMINATING),
                PAUSING, new Proceed(TERMINATING),
                PAUSED, new Proceed(TERMINATING),
                RESUMING, new Proceed(TERMINATING),
                TERMINATING, new AlreadyThere(),
                FAILED, new Proceed(TERMINATING)));
    }

    @Test
    void updateKeepsThePhaseUntilTheSandboxIsGoing() {
        row(new Update(), Map.of(
                STARTING, new Proceed(STARTING),
                RUNNING, new Proceed(RUNNING),
                PAUSING, new Proceed(PAUSING),
                PAUSED, new Proceed(PAUSED),
                RESUMING, new Proceed(RESUMING),
                TERMINATING, refused("update", TERMINATING),
                FAILED, new Proceed(FAILED)));
    }

    @Test
    void refreshNeedsARuntime() {
        row(new Refresh(), Map.of(
                STARTING, new Proceed(STARTING),
                RUNNING, new Proceed(RUNNING),
                PAUSING, refused("refresh", PAUSING),
                PAUSED, refused("refresh", PAUSED),
                RESUMING, new Proceed(RESUMING),
                TERMINATING, refused("refresh", TERMINATING),
                FAILED, refused("refresh", FAILED)));
    }

    @Test
    void rootfsOperationsNeedAPausedSandbox() {
        Map<SandboxLifecycleStatus, Verdict> expected = new java.util.HashMap<>();
        for (SandboxLifecycleStatus phase : PHASES) {
            expected.put(phase, phase == PAUSED ? new Proceed(PAUSED) : new Refused(
                    "sandbox rootfs operation requires a paused sandbox (sandbox is " + phase.wire() + ")"));
        }
        row(new RootfsOperation(), expected);
    }

    @Test
    void runtimeCallsOnAPausedSandboxNeedAResume() {
        row(new UseRuntime(), Map.of(
                STARTING, refused("use", STARTING),
                RUNNING, new Proceed(RUNNING),
                PAUSING, new NeedsResume(),
                PAUSED, new NeedsResume(),
                RESUMING, new NeedsResume(),
                TERMINATING, refused("use", TERMINATING),
                FAILED, new NeedsResume()));
    }

    @Test
    void aClaimIsRecordedStarting() {
        assertThat(Lifecycle.FIRST).isEqualTo(STARTING);
    }
}
