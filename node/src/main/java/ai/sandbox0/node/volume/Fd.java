package ai.sandbox0.node.volume;

import static ai.sandbox0.node.volume.Syscalls.O_CLOEXEC;
import static ai.sandbox0.node.volume.Syscalls.O_CREAT;
import static ai.sandbox0.node.volume.Syscalls.O_DIRECTORY;
import static ai.sandbox0.node.volume.Syscalls.O_EXCL;
import static ai.sandbox0.node.volume.Syscalls.O_NOFOLLOW;
import static ai.sandbox0.node.volume.Syscalls.O_PATH;
import static ai.sandbox0.node.volume.Syscalls.O_WRONLY;
import static ai.sandbox0.node.volume.Syscalls.RESOLVE_BENEATH;
import static ai.sandbox0.node.volume.Syscalls.RESOLVE_IN_ROOT;
import static ai.sandbox0.node.volume.Syscalls.RESOLVE_NO_MAGICLINKS;
import static ai.sandbox0.node.volume.Syscalls.RESOLVE_NO_SYMLINKS;
import static ai.sandbox0.node.volume.Syscalls.RESOLVE_NO_XDEV;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * An open file descriptor this process owns, and the only ways the volume code opens more: a path
 * resolved with this directory as the root ({@code RESOLVE_IN_ROOT}: absolute links and {@code ..}
 * stop here), or one plain name in it that must not be a link. Neither crosses a mount.
 */
final class Fd implements AutoCloseable {

    /** Links are followed, but inside the root; /proc-style magic links and mounts not at all. */
    private static final long IN_ROOT = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
    /** One name in a directory: no link anywhere, nothing above, no mount. */
    private static final long ONE_NAME = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS
            | RESOLVE_NO_XDEV;

    private final int number;
    private boolean closed;

    private Fd(int number) {
        this.number = number;
    }

    /** An O_PATH descriptor of a directory the caller trusts (a volume's root, never a path under it). */
    static Fd openTrustedDirectory(Path directory) throws SyscallException {
        byte[] path = directory.toAbsolutePath().toString().getBytes(StandardCharsets.UTF_8);
        return new Fd(Syscalls.openat2(Syscalls.AT_FDCWD, path, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, 0));
    }

    /** Opens {@code path} with this directory as the root: whatever links say, the result is under it. */
    Fd resolve(LogicalPath path, int flags) throws SyscallException {
        return new Fd(Syscalls.openat2(number, path.relative(), flags | O_CLOEXEC, 0, IN_ROOT));
    }

    /** Opens the entry {@code name} of this directory; a link there fails (ELOOP or ENOTDIR). */
    Fd child(byte[] name, int flags) throws SyscallException {
        return new Fd(Syscalls.openat2(number, name, flags | O_CLOEXEC | O_NOFOLLOW, 0, ONE_NAME));
    }

    /** Creates the regular file {@code name} here for writing; EEXIST if anything has that name. */
    Fd createFile(byte[] name, int mode) throws SyscallException {
        return new Fd(Syscalls.openat2(number, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode,
                ONE_NAME));
    }

    Syscalls.Stat stat() throws SyscallException {
        return Syscalls.fstat(number);
    }

    /** The entry {@code name} itself (a link is described, not followed). */
    Syscalls.Stat lstat(byte[] name) throws SyscallException {
        return Syscalls.lstatat(number, name);
    }

    /** Where the JDK may reopen this very inode (a magic link to it, not a path to resolve again). */
    Path procPath() {
        return Path.of("/proc/self/fd/" + number);
    }

    int number() {
        if (closed) {
            throw new IllegalStateException("descriptor " + number + " is closed");
        }
        return number;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Syscalls.close(number);
        }
    }
}
