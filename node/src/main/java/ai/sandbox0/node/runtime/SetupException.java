package ai.sandbox0.node.runtime;

import java.io.IOException;

/** A host-side step failed; the message starts with the step, so logs say where it broke. */
public class SetupException extends IOException {

    private final Step step;

    public SetupException(Step step, String message) {
        this(step, message, null);
    }

    public SetupException(Step step, String message, Throwable cause) {
        super(step.label() + ": " + message, cause);
        this.step = step;
    }

    public Step step() {
        return step;
    }
}
