package ai.sandbox0.procd.sys;

/**
 * A pseudo-terminal pair. The master is non-blocking and read only by the {@link Poller}; the slave
 * is opened by the child itself (see {@link Spawner.Stdio.Terminal}), so procd never holds it.
 */
public final class Pty {

    private final int master;
    private final String slavePath;

    private Pty(int master, String slavePath) {
        this.master = master;
        this.slavePath = slavePath;
    }

    public static Pty open(int rows, int cols) {
        int m = (int) LibC.check("posix_openpt",
                LibC.posixOpenpt(LibC.O_RDWR | LibC.O_NOCTTY | LibC.O_CLOEXEC | LibC.O_NONBLOCK));
        try {
            LibC.check("grantpt", LibC.grantpt(m));
            LibC.check("unlockpt", LibC.unlockpt(m));
            String slave = LibC.ptsname(m);
            // The size is set before the spawn: a new pty is 0x0.
            LibC.check("ioctl(TIOCSWINSZ)", LibC.setWindowSize(m, rows, cols));
            return new Pty(m, slave);
        } catch (RuntimeException e) {
            LibC.close(m);
            throw e;
        }
    }

    public int master() {
        return master;
    }

    public String slavePath() {
        return slavePath;
    }

    /** Sets the window size; the kernel sends SIGWINCH to the foreground process group. */
    public void resize(int rows, int cols) {
        LibC.check("ioctl(TIOCSWINSZ)", LibC.setWindowSize(master, rows, cols));
    }

    /** The foreground process group (what ^C would hit), or -1. */
    public int foregroundGroup() {
        int pgrp = LibC.tcgetpgrp(master);
        return pgrp > 0 ? pgrp : -1;
    }
}
