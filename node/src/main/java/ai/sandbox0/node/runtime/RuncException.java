package ai.sandbox0.node.runtime;

/** runc refused; carries the step, its exit code and what it wrote to stderr. */
public final class RuncException extends SetupException {

    private final int exitCode;
    private final String stderr;

    public RuncException(Step step, String id, int exitCode, String stderr) {
        super(step, id + ": runc exited " + exitCode + (stderr.isBlank() ? "" : ": " + stderr.strip()));
        this.exitCode = exitCode;
        this.stderr = stderr;
    }

    public int exitCode() {
        return exitCode;
    }

    public String stderr() {
        return stderr;
    }

    /** runc's way of saying there is no such container. */
    public boolean notFound() {
        return stderr.contains("does not exist") || stderr.contains("not exist");
    }
}
