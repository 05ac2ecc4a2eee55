package ai.sandbox0.node.volume;

import java.io.IOException;

/** A system call failed; {@link #errno} says why. Never leaves the package: callers translate it. */
final class SyscallException extends IOException {

    private final int errno;

    SyscallException(String call, int errno) {
        super(call + ": " + Syscalls.strerror(errno) + " (errno " + errno + ")");
        this.errno = errno;
    }

    /** Expected outcomes (EEXIST, ENOENT) are control flow here; a stack trace would only cost. */
    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }

    int errno() {
        return errno;
    }

    boolean is(int code) {
        return errno == code;
    }
}
