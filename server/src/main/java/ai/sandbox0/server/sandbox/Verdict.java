package ai.sandbox0.server.sandbox;

import ai.sandbox0.api.sandbox.SandboxLifecycleStatus;

/** How a {@link LifecycleCommand} meets the sandbox's current phase. */
public sealed interface Verdict {

    /** Go ahead; the sandbox moves to {@code next} (which may be where it is). */
    record Proceed(SandboxLifecycleStatus next) implements Verdict {
    }

    /** Already done or under way: answer success without doing anything. */
    record AlreadyThere() implements Verdict {
    }

    /** The sandbox has no runtime now: a call that needs one resumes it first (auto-resume) or is refused. */
    record NeedsResume() implements Verdict {
    }

    /** Not now: a 409 whose message names the phase. */
    record Conflict(String message) implements Verdict {
    }
}
