package ai.sandbox0.procd.sys;

/** A failed system call, named by the call and its errno. */
public final class SysException extends RuntimeException {

    private final int errno;

    public SysException(String call, int errno) {
        super(call + " failed: " + Errno.name(errno));
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
