package ai.sandbox0.node.runtime;

/** A sandbox did not become ready; everything it had was removed again. */
public final class SandboxStartException extends SetupException {

    private final Diagnosis diagnosis;

    public SandboxStartException(String id, Diagnosis diagnosis) {
        super(Step.WAIT_READY, id + ": " + diagnosis.describe());
        this.diagnosis = diagnosis;
    }

    public Diagnosis diagnosis() {
        return diagnosis;
    }
}
