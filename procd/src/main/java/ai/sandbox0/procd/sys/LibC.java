package ai.sandbox0.procd.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * FFM bindings to the few glibc calls the JDK lacks (Linux, glibc ≥ 2.34, 64-bit). Constants were
 * checked against {@code /usr/include} (see findings/pty-via-ffm.md). No call is marked critical: a
 * blocking critical call would stall safepoints for the whole JVM.
 *
 * <p>Calls that can fail return {@code -errno} instead of throwing, so hot paths (reads in the poll
 * loop, EAGAIN on writes) cost no exception; {@link #check} turns a result into a {@link SysException}.
 */
public final class LibC {

    public static final int O_RDWR = 0x2, O_NOCTTY = 0x100, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
    public static final int F_GETFL = 3, F_SETFL = 4;
    public static final short POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08, POSIX_SPAWN_SETSID = 0x80;
    public static final long TIOCSWINSZ = 0x5414;
    public static final short POLLIN = 0x1, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10, POLLNVAL = 0x20;
    public static final int WNOHANG = 1;
    public static final int ESRCH = 3, EINTR = 4, EIO = 5, ECHILD = 10, EAGAIN = 11, ENOENT = 2, EACCES = 13,
            ENOTDIR = 20, ENOSYS = 38, ENOSPC = 28, EBADF = 9;
    public static final long SYS_PIDFD_OPEN = 434;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LOOKUP = LINKER.defaultLookup();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO_OPT = Linker.Option.captureCallState("errno");

    static final long SPAWNATTR_SIZE = 336, FILE_ACTIONS_SIZE = 80, SIGSET_SIZE = 128;



    private LibC() {
    }

    /** Downcall stubs are generated on first use of their group: each costs milliseconds at startup. */
    private static final class Pty {
        static final MethodHandle POSIX_OPENPT = errno("posix_openpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        static final MethodHandle GRANTPT = errno("grantpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        static final MethodHandle UNLOCKPT = errno("unlockpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        static final MethodHandle PTSNAME_R =
                plain("ptsname_r", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG));
        static final MethodHandle IOCTL_PTR = LINKER.downcallHandle(find("ioctl"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), Linker.Option.firstVariadicArg(2), ERRNO_OPT);
        static final MethodHandle TCGETPGRP = errno("tcgetpgrp", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }

    private static final class Io {
        static final MethodHandle READ = errno("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
        static final MethodHandle WRITE = errno("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
        static final MethodHandle CLOSE = errno("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        static final MethodHandle PIPE2 = errno("pipe2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        static final MethodHandle POLL = errno("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
        static final MethodHandle FCNTL_INT = LINKER.downcallHandle(find("fcntl"),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2), ERRNO_OPT);
    }

    private static final class Proc {
        static final MethodHandle SYSCALL_2 = LINKER.downcallHandle(find("syscall"),
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(1), ERRNO_OPT);
        static final MethodHandle WAITPID = errno("waitpid", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
        static final MethodHandle KILL = errno("kill", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    }

    private static final class Inotify {
        static final MethodHandle INOTIFY_INIT1 = errno("inotify_init1", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        static final MethodHandle INOTIFY_ADD_WATCH =
                errno("inotify_add_watch", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
        static final MethodHandle INOTIFY_RM_WATCH =
                errno("inotify_rm_watch", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    }

    /** posix_spawn and its attribute and file-action helpers (used by {@link Spawner}). */
    static final class Spawn {
        static final MethodHandle POSIX_SPAWN = plain("posix_spawn",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        static final MethodHandle SPAWNATTR_INIT = plain("posix_spawnattr_init", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle SPAWNATTR_DESTROY = plain("posix_spawnattr_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle SPAWNATTR_SETFLAGS =
                plain("posix_spawnattr_setflags", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_SHORT));
        static final MethodHandle SPAWNATTR_SETSIGMASK =
                plain("posix_spawnattr_setsigmask", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        static final MethodHandle SPAWNATTR_SETSIGDEFAULT =
                plain("posix_spawnattr_setsigdefault", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        static final MethodHandle FA_INIT = plain("posix_spawn_file_actions_init", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle FA_DESTROY = plain("posix_spawn_file_actions_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle FA_ADDOPEN = plain("posix_spawn_file_actions_addopen",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        static final MethodHandle FA_ADDDUP2 =
                plain("posix_spawn_file_actions_adddup2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        static final MethodHandle FA_ADDCLOSEFROM =
                plain("posix_spawn_file_actions_addclosefrom_np", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        static final MethodHandle FA_ADDCHDIR =
                plain("posix_spawn_file_actions_addchdir_np", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        static final MethodHandle SIGEMPTYSET = plain("sigemptyset", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        static final MethodHandle SIGFILLSET = plain("sigfillset", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    }

    /**
     * Generates the downcall stubs of the command path (pipes, poll, pidfd, waitpid, the spawn helpers)
     * and of the PTY calls, with calls that change nothing. Interpreted, that is tens of milliseconds
     * that a new sandbox's first command would otherwise wait for; procd runs it on a second thread
     * while its HTTP server starts.
     */
    public static void prewarm() {
        int[] pipe = pipe(O_CLOEXEC | O_NONBLOCK);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment b = arena.allocate(8);
            write(pipe[1], b, 1);
            read(pipe[0], b, 1);
            fcntl(pipe[0], F_GETFL, 0);
            poll(arena.allocate(8), 0, 0);
            int self = pidfdOpen((int) ProcessHandle.current().pid());
            if (self >= 0) {
                close(self);
            }
            try {
                waitpid(Integer.MAX_VALUE, WNOHANG);
            } catch (SysException noSuchChild) {
                // ECHILD, as intended
            }
            kill(Integer.MAX_VALUE, 0); // above pid_max: ESRCH
            MemorySegment attr = arena.allocate(SPAWNATTR_SIZE, 8);
            MemorySegment actions = arena.allocate(FILE_ACTIONS_SIZE, 8);
            MemorySegment set = arena.allocate(SIGSET_SIZE, 8);
            int unused = (int) Spawn.SIGEMPTYSET.invokeExact(set) + (int) Spawn.SIGFILLSET.invokeExact(set)
                    + (int) Spawn.SPAWNATTR_INIT.invokeExact(attr) + (int) Spawn.SPAWNATTR_DESTROY.invokeExact(attr)
                    + (int) Spawn.FA_INIT.invokeExact(actions) + (int) Spawn.FA_DESTROY.invokeExact(actions);
            MethodHandle pty = Pty.POSIX_OPENPT; // the PTY group: a REPL's first start
        } catch (Throwable t) {
            throw rethrow(t);
        } finally {
            close(pipe[0]);
            close(pipe[1]);
        }
    }

    private static MemorySegment find(String name) {
        return LOOKUP.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    }

    private static MethodHandle errno(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(find(name), fd, ERRNO_OPT);
    }

    private static MethodHandle plain(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(find(name), fd);
    }

    /** A per-call errno capture area; confined arenas are cheap and avoid cross-thread lifetimes. */
    private static int errnoOf(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    /** Throws {@link SysException} for a negative (−errno) result. */
    public static long check(String call, long result) {
        if (result < 0) {
            throw new SysException(call, (int) -result);
        }
        return result;
    }

    private static int intCall(MethodHandle h, Object... args) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            Object[] full = new Object[args.length + 1];
            full[0] = state;
            System.arraycopy(args, 0, full, 1, args.length);
            int r = (int) h.invokeWithArguments(full);
            return r < 0 ? -errnoOf(state) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int posixOpenpt(int flags) {
        return intCall(Pty.POSIX_OPENPT, flags);
    }

    public static int grantpt(int fd) {
        return intCall(Pty.GRANTPT, fd);
    }

    public static int unlockpt(int fd) {
        return intCall(Pty.UNLOCKPT, fd);
    }

    public static String ptsname(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(128);
            int err = (int) Pty.PTSNAME_R.invokeExact(fd, buf, 128L);
            if (err != 0) {
                throw new SysException("ptsname_r", err);
            }
            return buf.getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code ioctl(fd, TIOCSWINSZ, {rows, cols, 0, 0})}; the kernel sends SIGWINCH to the fg group. */
    public static int setWindowSize(int fd, int rows, int cols) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ws = arena.allocate(8);
            ws.set(JAVA_SHORT, 0, (short) rows);
            ws.set(JAVA_SHORT, 2, (short) cols);
            MemorySegment state = arena.allocate(CAPTURE);
            int r = (int) Pty.IOCTL_PTR.invokeExact(state, fd, TIOCSWINSZ, ws);
            return r < 0 ? -errnoOf(state) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int fcntl(int fd, int cmd, int arg) {
        return intCall(Io.FCNTL_INT, fd, cmd, arg);
    }

    public static void setNonBlocking(int fd) {
        int flags = (int) check("fcntl(F_GETFL)", fcntl(fd, F_GETFL, 0));
        check("fcntl(F_SETFL)", fcntl(fd, F_SETFL, flags | O_NONBLOCK));
    }

    /** {@code pidfd_open(pid, 0)}: an fd that polls readable once the process has exited. */
    public static int pidfdOpen(int pid) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            long r = (long) Proc.SYSCALL_2.invokeExact(state, SYS_PIDFD_OPEN, pid, 0);
            return r < 0 ? -errnoOf(state) : (int) r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int tcgetpgrp(int fd) {
        return intCall(Pty.TCGETPGRP, fd);
    }

    /** Returns bytes read, 0 at EOF, or −errno. */
    public static long read(int fd, MemorySegment buf, long n) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            long r = (long) Io.READ.invokeExact(state, fd, buf, n);
            return r < 0 ? -errnoOf(state) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Returns bytes written or −errno. */
    public static long write(int fd, MemorySegment buf, long n) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            long r = (long) Io.WRITE.invokeExact(state, fd, buf, n);
            return r < 0 ? -errnoOf(state) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int close(int fd) {
        return intCall(Io.CLOSE, fd);
    }

    /** {@code pipe2(flags)}: returns {read, write}. */
    public static int[] pipe(int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            MemorySegment state = arena.allocate(CAPTURE);
            int r = (int) Io.PIPE2.invokeExact(state, fds, flags);
            if (r < 0) {
                throw new SysException("pipe2", errnoOf(state));
            }
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code poll(fds, n, timeout)} over a caller-owned pollfd array; returns count or −errno. */
    public static int poll(MemorySegment pollfds, long n, int timeoutMillis) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            int r = (int) Io.POLL.invokeExact(state, pollfds, n, timeoutMillis);
            return r < 0 ? -errnoOf(state) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code waitpid(pid, &status, options)} for one specific child: never −1, which would steal the
     * statuses of children the JDK itself started. Returns {pid-or-0, status} or throws.
     */
    public static int[] waitpid(int pid, int options) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment status = arena.allocate(JAVA_INT);
            MemorySegment state = arena.allocate(CAPTURE);
            while (true) {
                int r = (int) Proc.WAITPID.invokeExact(state, pid, status, options);
                if (r >= 0) {
                    return new int[] {r, status.get(JAVA_INT, 0)};
                }
                int err = errnoOf(state);
                if (err != EINTR) {
                    throw new SysException("waitpid", err);
                }
            }
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int kill(int pid, int sig) {
        return intCall(Proc.KILL, pid, sig);
    }

    public static int inotifyInit(int flags) {
        return intCall(Inotify.INOTIFY_INIT1, flags);
    }

    public static int inotifyAddWatch(int fd, String path, int mask) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = arena.allocateFrom(path);
            MemorySegment state = arena.allocate(CAPTURE);
            int r = (int) Inotify.INOTIFY_ADD_WATCH.invokeExact(state, fd, p, mask);
            return r < 0 ? -errnoOf(state) : r;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static int inotifyRmWatch(int fd, int wd) {
        return intCall(Inotify.INOTIFY_RM_WATCH, fd, wd);
    }
}
