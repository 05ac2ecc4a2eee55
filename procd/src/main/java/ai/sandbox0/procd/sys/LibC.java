package ai.sandbox0.procd.sys;

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
 * checked against {@code /usr/include}. No call is marked critical: a
 * blocking critical call would stall safepoints for the whole JVM.
 *
 * <p>Every call goes through one downcall shape, {@code long f(long × 6)} with errno captured: each
 * distinct shape costs milliseconds of stub generation in an interpreted JVM (the first one ~14 ms,
 * each further one ~3 ms), and a sandbox's first command needs a dozen different functions. On the two
 * ABIs procd runs on (x86_64 System V and AAPCS64 on Linux) integer and pointer arguments travel in
 * registers, named or variadic alike, a callee reads only the arguments it declares, and an {@code int}
 * result is the low half of the returned register; so passing every argument as a word, unused ones as
 * 0, is exact. Pointers are passed as the addresses of segments that outlive the call.
 *
 * <p>Calls that can fail return {@code -errno} instead of throwing, so hot paths (reads in the poll
 * loop, EAGAIN on writes) cost no exception; {@link #check} turns a result into a {@link SysException}.
 */
public final class LibC {

    public static final int O_RDWR = 0x2, O_NOCTTY = 0x100, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
    public static final int F_GETFL = 3, F_SETFL = 4;
    public static final long TIOCSWINSZ = 0x5414;
    public static final short POLLIN = 0x1, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10, POLLNVAL = 0x20;
    public static final int WNOHANG = 1;
    public static final int ESRCH = 3, EINTR = 4, EIO = 5, ECHILD = 10, EAGAIN = 11, ENOENT = 2, EACCES = 13,
            ENOTDIR = 20, ENOSYS = 38, ENOSPC = 28, EBADF = 9;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LOOKUP = LINKER.defaultLookup();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(PathElement.groupElement("errno"));

    /** The one downcall shape: a function address, the errno capture area, six argument words. */
    private static final MethodHandle CALL = LINKER.downcallHandle(
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));

    private static final MemorySegment SYSCALL = find("syscall");
    private static final MemorySegment POSIX_OPENPT = find("posix_openpt");
    private static final MemorySegment GRANTPT = find("grantpt");
    private static final MemorySegment UNLOCKPT = find("unlockpt");
    private static final MemorySegment PTSNAME_R = find("ptsname_r");
    private static final MemorySegment IOCTL = find("ioctl");
    private static final MemorySegment TCGETPGRP = find("tcgetpgrp");

    private LibC() {
    }

    // Syscall numbers: x86_64, else aarch64 (the asm-generic table).
    private static final boolean X86_64 = !"aarch64".equals(System.getProperty("os.arch"));
    private static final long NR_READ = X86_64 ? 0 : 63;
    private static final long NR_WRITE = X86_64 ? 1 : 64;
    private static final long NR_CLOSE = X86_64 ? 3 : 57;
    private static final long NR_FCNTL = X86_64 ? 72 : 25;
    private static final long NR_PIPE2 = X86_64 ? 293 : 59;
    private static final long NR_PPOLL = X86_64 ? 271 : 73;
    private static final long NR_KILL = X86_64 ? 62 : 129;
    private static final long NR_WAIT4 = X86_64 ? 61 : 260;
    private static final long NR_GETPID = X86_64 ? 39 : 172;
    private static final long NR_INOTIFY_INIT1 = X86_64 ? 294 : 26;
    private static final long NR_INOTIFY_ADD_WATCH = X86_64 ? 254 : 27;
    private static final long NR_INOTIFY_RM_WATCH = X86_64 ? 255 : 28;
    private static final long NR_PIDFD_OPEN = 434;

    /** A per-call errno capture area, from the caller's arena. */
    static MemorySegment errnoArea(Arena arena) {
        return arena.allocate(CAPTURE);
    }

    static int errnoOf(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    /** Calls {@code fn} with up to six argument words; the raw result word, errno in {@code state}. */
    static long call(MemorySegment fn, MemorySegment state, long a, long b, long c, long d, long e, long f) {
        try {
            return (long) CALL.invokeExact(fn, state, a, b, c, d, e, f);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static long call(MemorySegment fn, MemorySegment state, long a) {
        return call(fn, state, a, 0, 0, 0, 0, 0);
    }

    static long call(MemorySegment fn, MemorySegment state, long a, long b) {
        return call(fn, state, a, b, 0, 0, 0, 0);
    }

    static long call(MemorySegment fn, MemorySegment state, long a, long b, long c) {
        return call(fn, state, a, b, c, 0, 0, 0);
    }

    /** A function that returns {@code int} −1 and sets errno on failure: its result, or −errno. */
    private static int intCall(MemorySegment fn, long a, long b, long c) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = errnoArea(arena);
            int r = (int) call(fn, state, a, b, c);
            return r < 0 ? -errnoOf(state) : r;
        }
    }

    /** One system call: its result, or −errno. */
    private static long sys(long nr, long a, long b, long c, long d) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = errnoArea(arena);
            long r = call(SYSCALL, state, nr, a, b, c, d, 0);
            return r < 0 ? -errnoOf(state) : r;
        }
    }

    /**
     * Generates the downcall stub and runs the plain system calls once, with calls that change nothing.
     * Interpreted, that is tens of milliseconds that a new sandbox's first command would otherwise wait
     * for; procd runs it on a second thread while its HTTP server starts.
     */
    public static void prewarm() {
        int[] pipe = pipe(O_CLOEXEC | O_NONBLOCK);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment b = arena.allocate(8);
            write(pipe[1], b, 1);
            read(pipe[0], b, 1);
            fcntl(pipe[0], F_GETFL, 0);
            poll(arena.allocate(8), 0, 0);
            int self = pidfdOpen((int) sys(NR_GETPID, 0, 0, 0, 0));
            if (self >= 0) {
                close(self);
            }
            try {
                waitpid(Integer.MAX_VALUE, WNOHANG);
            } catch (SysException noSuchChild) {
                // ECHILD, as intended
            }
            kill(Integer.MAX_VALUE, 0); // above pid_max: ESRCH
        } finally {
            close(pipe[0]);
            close(pipe[1]);
        }
    }

    static MemorySegment find(String name) {
        return LOOKUP.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    }

    private static RuntimeException rethrow(Throwable t) {
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

    public static int posixOpenpt(int flags) {
        return intCall(POSIX_OPENPT, flags, 0, 0);
    }

    public static int grantpt(int fd) {
        return intCall(GRANTPT, fd, 0, 0);
    }

    public static int unlockpt(int fd) {
        return intCall(UNLOCKPT, fd, 0, 0);
    }

    public static String ptsname(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(128);
            int err = (int) call(PTSNAME_R, errnoArea(arena), fd, buf.address(), buf.byteSize());
            if (err != 0) {
                throw new SysException("ptsname_r", err);
            }
            return buf.getString(0);
        }
    }

    /** {@code ioctl(fd, TIOCSWINSZ, {rows, cols, 0, 0})}; the kernel sends SIGWINCH to the fg group. */
    public static int setWindowSize(int fd, int rows, int cols) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ws = arena.allocate(8);
            ws.set(JAVA_SHORT, 0, (short) rows);
            ws.set(JAVA_SHORT, 2, (short) cols);
            return intCall(IOCTL, fd, TIOCSWINSZ, ws.address());
        }
    }

    public static int fcntl(int fd, int cmd, int arg) {
        return (int) sys(NR_FCNTL, fd, cmd, arg, 0);
    }

    public static void setNonBlocking(int fd) {
        int flags = (int) check("fcntl(F_GETFL)", fcntl(fd, F_GETFL, 0));
        check("fcntl(F_SETFL)", fcntl(fd, F_SETFL, flags | O_NONBLOCK));
    }

    /** {@code pidfd_open(pid, 0)}: an fd that polls readable once the process has exited. */
    public static int pidfdOpen(int pid) {
        return (int) sys(NR_PIDFD_OPEN, pid, 0, 0, 0);
    }

    public static int tcgetpgrp(int fd) {
        return intCall(TCGETPGRP, fd, 0, 0);
    }

    /** Returns bytes read, 0 at EOF, or −errno. */
    public static long read(int fd, MemorySegment buf, long n) {
        return sys(NR_READ, fd, buf.address(), n, 0);
    }

    /** Returns bytes written or −errno. */
    public static long write(int fd, MemorySegment buf, long n) {
        return sys(NR_WRITE, fd, buf.address(), n, 0);
    }

    public static int close(int fd) {
        return (int) sys(NR_CLOSE, fd, 0, 0, 0);
    }

    /** {@code pipe2(flags)}: returns {read, write}. */
    public static int[] pipe(int flags) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fds = arena.allocate(JAVA_INT, 2);
            long r = sys(NR_PIPE2, fds.address(), flags, 0, 0);
            if (r < 0) {
                throw new SysException("pipe2", (int) -r);
            }
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        }
    }

    /** {@code poll(fds, n, timeout)} over a caller-owned pollfd array; returns count or −errno. */
    public static int poll(MemorySegment pollfds, long n, int timeoutMillis) {
        if (timeoutMillis < 0) {
            return (int) sys(NR_PPOLL, pollfds.address(), n, 0, 0);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment timeout = arena.allocate(JAVA_LONG, 2);
            timeout.setAtIndex(JAVA_LONG, 0, timeoutMillis / 1000);
            timeout.setAtIndex(JAVA_LONG, 1, (timeoutMillis % 1000) * 1_000_000L);
            return (int) sys(NR_PPOLL, pollfds.address(), n, timeout.address(), 0);
        }
    }

    /**
     * {@code waitpid(pid, &status, options)} for one specific child: never −1, which would steal the
     * statuses of children the JDK itself started. Returns {pid-or-0, status} or throws.
     */
    public static int[] waitpid(int pid, int options) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment status = arena.allocate(JAVA_INT);
            while (true) {
                long r = sys(NR_WAIT4, pid, status.address(), options, 0);
                if (r >= 0) {
                    return new int[] {(int) r, status.get(JAVA_INT, 0)};
                }
                if (r != -EINTR) {
                    throw new SysException("waitpid", (int) -r);
                }
            }
        }
    }

    public static int kill(int pid, int sig) {
        return (int) sys(NR_KILL, pid, sig, 0, 0);
    }

    public static int inotifyInit(int flags) {
        return (int) sys(NR_INOTIFY_INIT1, flags, 0, 0, 0);
    }

    public static int inotifyAddWatch(int fd, String path, int mask) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) sys(NR_INOTIFY_ADD_WATCH, fd, arena.allocateFrom(path).address(), mask, 0);
        }
    }

    public static int inotifyRmWatch(int fd, int wd) {
        return (int) sys(NR_INOTIFY_RM_WATCH, fd, wd, 0, 0);
    }
}
