package ai.sandbox0.server.sandbox;

import ai.sandbox0.api.sandbox.SandboxLifecycleStatus;

/**
 * How a {@link LifecycleCommand} meets the sandbox's current phase. Each command has its own family
 * of outcomes (the type parameter of the command), so a caller switches over exactly the outcomes its
 * command can have: a delete is never refused, a pause never needs a resume.
 */
public sealed interface Verdict {

    /** Go ahead; the sandbox moves to {@code next} (which may be where it is). */
    record Proceed(SandboxLifecycleStatus next) implements Transition, Removal, Change, RuntimeUse {
    }

    /** Already done or under way: answer success without starting it again. */
    record AlreadyThere() implements Transition, Removal {
    }

    /** The sandbox has no runtime now: a call that needs one resumes it first (auto-resume) or is refused. */
    record NeedsResume() implements RuntimeUse {
    }

    /** Not in this phase: a 409 whose message names the phase. */
    record Refused(String message) implements Transition, Change, RuntimeUse {
    }

    /** Pause, resume: a move to another phase. */
    sealed interface Transition extends Verdict permits Proceed, AlreadyThere, Refused {
    }

    /** Delete: always possible; a second one finishes what the first started. */
    sealed interface Removal extends Verdict permits Proceed, AlreadyThere {
    }

    /** Update, refresh, rootfs operations: a change that keeps the phase. */
    sealed interface Change extends Verdict permits Proceed, Refused {
    }

    /** A context or file call: served by the running procd, after a resume, or refused. */
    sealed interface RuntimeUse extends Verdict permits Proceed, NeedsResume, Refused {
    }
}
