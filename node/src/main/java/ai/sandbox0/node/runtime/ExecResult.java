package ai.sandbox0.node.runtime;

/** A finished command inside a sandbox. */
public record ExecResult(int exitCode, String stdout, String stderr) {
    public boolean ok() {
        return exitCode == 0;
    }
}
