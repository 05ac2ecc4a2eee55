package ai.sandbox0.node.volume;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.time.Instant;

/**
 * The descriptor-relative calls confined file work needs and the JDK lacks: {@code openat2} with its
 * RESOLVE_* flags, the {@code *at} family, {@code statx} (one layout on every architecture) and
 * {@code getdents64}. Names are raw bytes, as the kernel keeps them. A failure is a
 * {@link SyscallException} carrying errno, for the caller to turn into what its user understands.
 * Needs Linux 5.6 (openat2) and glibc 2.30 (getdents64, renameat2, statx); x86-64 or arm64.
 */
@SuppressWarnings("restricted") // the point of this class; the build enables native access
final class Syscalls {

    static final int O_RDONLY = 0;
    static final int O_WRONLY = 1;
    static final int O_CREAT = 0100;
    static final int O_EXCL = 0200;
    static final int O_NOCTTY = 0400;
    static final int O_NONBLOCK = 04000;
    static final int O_CLOEXEC = 02000000;
    static final int O_PATH = 010000000;
    /** Differ between x86-64 and arm64; the rest above are common to both. */
    static final int O_DIRECTORY;
    static final int O_NOFOLLOW;

    static final int AT_FDCWD = -100;
    static final int AT_SYMLINK_NOFOLLOW = 0x100;
    static final int AT_REMOVEDIR = 0x200;
    static final int AT_EMPTY_PATH = 0x1000;

    static final long RESOLVE_NO_XDEV = 0x01;
    static final long RESOLVE_NO_MAGICLINKS = 0x02;
    static final long RESOLVE_NO_SYMLINKS = 0x04;
    static final long RESOLVE_BENEATH = 0x08;
    static final long RESOLVE_IN_ROOT = 0x10;

    static final int S_IFMT = 0170000;
    static final int S_IFDIR = 0040000;
    static final int S_IFREG = 0100000;
    static final int S_IFLNK = 0120000;

    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int EACCES = 13;
    static final int EEXIST = 17;
    static final int EXDEV = 18;
    static final int ENOTDIR = 20;
    static final int EISDIR = 21;
    static final int EINVAL = 22;
    static final int ENOSPC = 28;
    static final int EROFS = 30;
    static final int ENAMETOOLONG = 36;
    static final int ENOTEMPTY = 39;
    static final int ELOOP = 40;
    static final int EDQUOT = 122;

    private static final long SYS_OPENAT2 = 437; // the same number on every architecture
    private static final int STATX_BASIC_STATS = 0x7ff;
    private static final int STATX_SIZE = 256;
    private static final int SEEK_SET = 0;
    private static final long UTIME_OMIT = (1L << 30) - 2;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final ValueLayout PTR = ValueLayout.ADDRESS;

    /** syscall(SYS_openat2, dirfd, path, struct open_how *, sizeof): glibc has no wrapper. */
    private static final MethodHandle OPENAT2 = LINKER.downcallHandle(LIBC.find("syscall").orElseThrow(),
            FunctionDescriptor.of(LONG, LONG, LONG, PTR, PTR, LONG),
            Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));
    private static final MethodHandle MKDIRAT = downcall("mkdirat", FunctionDescriptor.of(INT, INT, PTR, INT));
    private static final MethodHandle UNLINKAT = downcall("unlinkat", FunctionDescriptor.of(INT, INT, PTR, INT));
    private static final MethodHandle RENAMEAT2 = downcall("renameat2",
            FunctionDescriptor.of(INT, INT, PTR, INT, PTR, INT));
    private static final MethodHandle SYMLINKAT = downcall("symlinkat", FunctionDescriptor.of(INT, PTR, INT, PTR));
    private static final MethodHandle READLINKAT = downcall("readlinkat",
            FunctionDescriptor.of(LONG, INT, PTR, PTR, LONG));
    private static final MethodHandle FCHOWNAT = downcall("fchownat",
            FunctionDescriptor.of(INT, INT, PTR, INT, INT, INT));
    private static final MethodHandle FCHMOD = downcall("fchmod", FunctionDescriptor.of(INT, INT, INT));
    private static final MethodHandle STATX = downcall("statx", FunctionDescriptor.of(INT, INT, PTR, INT, INT, PTR));
    private static final MethodHandle GETDENTS64 = downcall("getdents64", FunctionDescriptor.of(LONG, INT, PTR, LONG));
    private static final MethodHandle LSEEK = downcall("lseek", FunctionDescriptor.of(LONG, INT, LONG, INT));
    private static final MethodHandle WRITE = downcall("write", FunctionDescriptor.of(LONG, INT, PTR, LONG));
    private static final MethodHandle FUTIMENS = downcall("futimens", FunctionDescriptor.of(INT, INT, PTR));
    private static final MethodHandle CLOSE = LINKER.downcallHandle(LIBC.find("close").orElseThrow(),
            FunctionDescriptor.of(INT, INT));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(LIBC.find("strerror").orElseThrow(),
            FunctionDescriptor.of(PTR, INT));

    static {
        switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> {
                O_DIRECTORY = 0200000;
                O_NOFOLLOW = 0400000;
            }
            case "aarch64" -> {
                O_DIRECTORY = 040000;
                O_NOFOLLOW = 0100000;
            }
            default -> throw new ExceptionInInitializerError(
                    "volume files: open(2) flags unknown for " + System.getProperty("os.arch"));
        }
    }

    private Syscalls() {
    }

    private static MethodHandle downcall(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(() -> new IllegalStateException("libc has no " + name)),
                descriptor, Linker.Option.captureCallState("errno"));
    }

    /** What {@code statx} says of one inode. {@code mode} holds the type bits too. */
    record Stat(int mode, long uid, long gid, long size, long nlink, long inode, long device, Instant modified) {

        int type() {
            return mode & S_IFMT;
        }

        boolean isDirectory() {
            return type() == S_IFDIR;
        }

        boolean isRegular() {
            return type() == S_IFREG;
        }

        boolean isSymlink() {
            return type() == S_IFLNK;
        }
    }

    /** openat2(2); retried on EAGAIN, which RESOLVE_IN_ROOT answers when a rename raced the walk. */
    static int openat2(int dirfd, byte[] path, long flags, long mode, long resolve) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment how = arena.allocate(24, 8); // struct open_how { u64 flags, mode, resolve; }
            how.set(LONG, 0, flags);
            how.set(LONG, 8, mode);
            how.set(LONG, 16, resolve);
            MemorySegment cPath = cString(arena, path);
            for (int attempt = 0; ; attempt++) {
                long fd = (long) OPENAT2.invokeExact(state, SYS_OPENAT2, (long) dirfd, cPath, how, 24L);
                if (fd >= 0) {
                    return (int) fd;
                }
                int errno = errno(state);
                if ((errno != EAGAIN && errno != EINTR) || attempt >= 32) {
                    throw new SyscallException("openat2", errno);
                }
            }
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static void mkdirat(int dirfd, byte[] name, int mode) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            check((int) MKDIRAT.invokeExact(state, dirfd, cString(arena, name), mode), state, "mkdirat");
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static void unlinkat(int dirfd, byte[] name, int flags) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            check((int) UNLINKAT.invokeExact(state, dirfd, cString(arena, name), flags), state, "unlinkat");
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static void renameat2(int oldDirfd, byte[] oldName, int newDirfd, byte[] newName, int flags)
            throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            check((int) RENAMEAT2.invokeExact(state, oldDirfd, cString(arena, oldName), newDirfd,
                    cString(arena, newName), flags), state, "renameat2");
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static void symlinkat(byte[] target, int dirfd, byte[] name) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            check((int) SYMLINKAT.invokeExact(state, cString(arena, target), dirfd, cString(arena, name)), state,
                    "symlinkat");
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The target of the symbolic link {@code name} in {@code dirfd}, never following it. */
    static byte[] readlinkat(int dirfd, byte[] name) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment cName = cString(arena, name);
            for (long capacity = 4096; capacity <= 1 << 20; capacity *= 4) {
                MemorySegment buffer = arena.allocate(capacity);
                long length = (long) READLINKAT.invokeExact(state, dirfd, cName, buffer, capacity);
                if (length < 0) {
                    throw new SyscallException("readlinkat", errno(state));
                }
                if (length < capacity) {
                    return buffer.asSlice(0, length).toArray(ValueLayout.JAVA_BYTE);
                }
            }
            throw new SyscallException("readlinkat", ENAMETOOLONG);
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** fchownat(2) with AT_EMPTY_PATH: the owner of the inode {@code fd} is open on (O_PATH fds too). */
    static void fchown(int fd, long uid, long gid) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            check((int) FCHOWNAT.invokeExact(state, fd, arena.allocateFrom(""), (int) uid, (int) gid, AT_EMPTY_PATH),
                    state, "fchownat");
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The owner of {@code name} in {@code dirfd} itself, never of what a link there points to. */
    static void lchownat(int dirfd, byte[] name, long uid, long gid) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            check((int) FCHOWNAT.invokeExact(state, dirfd, cString(arena, name), (int) uid, (int) gid,
                    AT_SYMLINK_NOFOLLOW), state, "fchownat");
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Sets all twelve mode bits, regardless of the umask. {@code fd} must not be an O_PATH fd. */
    static void fchmod(int fd, int mode) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            check((int) FCHMOD.invokeExact(state, fd, mode & 07777), state, "fchmod");
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The inode {@code fd} is open on. */
    static Stat fstat(int fd) throws SyscallException {
        return statx(fd, new byte[0], AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
    }

    /** {@code lstat} of {@code name} in {@code dirfd}: a link is described, not followed. */
    static Stat lstatat(int dirfd, byte[] name) throws SyscallException {
        return statx(dirfd, name, AT_SYMLINK_NOFOLLOW);
    }

    private static Stat statx(int dirfd, byte[] name, int flags) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment buffer = arena.allocate(STATX_SIZE, 8);
            check((int) STATX.invokeExact(state, dirfd, cString(arena, name), flags, STATX_BASIC_STATS, buffer),
                    state, "statx");
            // struct statx: nlink@16 uid@20 gid@24 mode(u16)@28 ino@32 size@40 mtime{s64,u32}@112 dev_major@136
            long nlink = Integer.toUnsignedLong(buffer.get(INT, 16));
            long uid = Integer.toUnsignedLong(buffer.get(INT, 20));
            long gid = Integer.toUnsignedLong(buffer.get(INT, 24));
            int mode = Short.toUnsignedInt(buffer.get(ValueLayout.JAVA_SHORT, 28));
            long inode = buffer.get(LONG, 32);
            long size = buffer.get(LONG, 40);
            Instant modified = Instant.ofEpochSecond(buffer.get(LONG, 112), Integer.toUnsignedLong(buffer.get(INT, 120)));
            long device = (Integer.toUnsignedLong(buffer.get(INT, 136)) << 32) | Integer.toUnsignedLong(buffer.get(INT, 140));
            return new Stat(mode, uid, gid, size, nlink, inode, device, modified);
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Fills {@code buffer} with {@code struct linux_dirent64} records; 0 at the end of the directory. */
    static long getdents64(int fd, MemorySegment buffer) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            while (true) {
                long n = (long) GETDENTS64.invokeExact(state, fd, buffer, buffer.byteSize());
                if (n >= 0) {
                    return n;
                }
                if (errno(state) != EINTR) {
                    throw new SyscallException("getdents64", errno(state));
                }
            }
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Back to the first entry of a directory, to look again for what appeared while removing. */
    static void rewind(int fd) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            long rc = (long) LSEEK.invokeExact(state, fd, 0L, SEEK_SET);
            if (rc < 0) {
                throw new SyscallException("lseek", errno(state));
            }
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Writes all {@code length} bytes of {@code data}. */
    static void writeFully(int fd, MemorySegment data, long length) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            long done = 0;
            while (done < length) {
                long n = (long) WRITE.invokeExact(state, fd, data.asSlice(done), length - done);
                if (n < 0) {
                    if (errno(state) == EINTR) {
                        continue;
                    }
                    throw new SyscallException("write", errno(state));
                }
                done += n;
            }
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Sets the modification time, leaving the access time. */
    static void setModified(int fd, Instant modified) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment times = arena.allocate(LONG, 4);
            times.setAtIndex(LONG, 0, 0);
            times.setAtIndex(LONG, 1, UTIME_OMIT);
            times.setAtIndex(LONG, 2, modified.getEpochSecond());
            times.setAtIndex(LONG, 3, modified.getNano());
            check((int) FUTIMENS.invokeExact(state, fd, times), state, "futimens");
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static void close(int fd) {
        try {
            int ignored = (int) CLOSE.invokeExact(fd); // Linux frees the descriptor even when close fails
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static String strerror(int errno) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
            return text.reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "error " + errno;
        }
    }

    private static MemorySegment cString(Arena arena, byte[] bytes) {
        MemorySegment s = arena.allocate(bytes.length + 1L);
        MemorySegment.copy(bytes, 0, s, ValueLayout.JAVA_BYTE, 0, bytes.length);
        s.set(ValueLayout.JAVA_BYTE, bytes.length, (byte) 0);
        return s;
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    private static void check(int rc, MemorySegment state, String op) throws SyscallException {
        if (rc < 0) {
            throw new SyscallException(op, errno(state));
        }
    }
}
