package ai.sandbox0.procd.sys;

/** A reaped child's wait status: an exit code, or the signal that killed it. */
public record ExitStatus(int code, int signal) {

    public static ExitStatus of(int waitStatus) {
        int sig = waitStatus & 0x7f;
        return sig == 0 ? new ExitStatus((waitStatus >> 8) & 0xff, 0) : new ExitStatus(-1, sig);
    }

    /** The upstream exit code: the status for a normal exit, -1 when a signal ended the process. */
    public int exitCode() {
        return code;
    }
}
