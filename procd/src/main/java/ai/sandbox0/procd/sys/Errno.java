package ai.sandbox0.procd.sys;

/** Names for the errno values procd reports; others print as numbers. */
public final class Errno {

    private Errno() {
    }

    public static String name(int errno) {
        return switch (errno) {
            case LibC.ENOENT -> "ENOENT (no such file or directory)";
            case LibC.ESRCH -> "ESRCH (no such process)";
            case LibC.EINTR -> "EINTR";
            case LibC.EIO -> "EIO";
            case LibC.EBADF -> "EBADF";
            case LibC.ECHILD -> "ECHILD";
            case LibC.EAGAIN -> "EAGAIN";
            case LibC.EACCES -> "EACCES (permission denied)";
            case LibC.ENOTDIR -> "ENOTDIR (not a directory)";
            case LibC.ENOSPC -> "ENOSPC (no space left, or inotify watch limit reached)";
            case LibC.ENOSYS -> "ENOSYS (not implemented)";
            case 8 -> "ENOEXEC (exec format error)";
            case 7 -> "E2BIG (argument list too long)";
            default -> "errno " + errno;
        };
    }
}
