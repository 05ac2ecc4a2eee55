package ai.sandbox0.node.volume;

import java.io.IOException;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The btrfs ioctls (and the few libc calls around them) the volume pool needs, through the FFM API:
 * the {@code btrfs} program costs a process start per call, far more than the ioctl itself. Numbers and
 * argument layouts are those of {@code <linux/btrfs.h>} (the same on every 64-bit architecture). Failures
 * map errno to the JDK's exceptions (ENOENT: NoSuchFileException, EEXIST: FileAlreadyExistsException,
 * EDQUOT or ENOSPC: {@link VolumeFullException}) and name the operation and the path.
 */
@SuppressWarnings("restricted") // the point of this class; the build enables native access
final class Btrfs {

    static final int ENOENT = 2, EACCES = 13, EPERM = 1, EEXIST = 17, EBUSY = 16, ENOTEMPTY = 39, ENOSPC = 28,
            EDQUOT = 122, ENODATA = 61, ENOTTY = 25, EOPNOTSUPP = 95, EINVAL = 22;

    private static final int IOC_WRITE = 1, IOC_READ = 2;
    private static final int MAGIC = 0x94;
    /** {@code struct btrfs_ioctl_vol_args}: {@code __s64 fd; char name[4088]}. */
    private static final int VOL_ARGS_SIZE = 4096, VOL_ARGS_NAME = 8;
    /** {@code struct btrfs_ioctl_vol_args_v2}: fd, transid, flags, a 32-byte union, then {@code char name[4040]}. */
    private static final int VOL_ARGS_V2_SIZE = 4096, VOL_ARGS_V2_FLAGS = 16, VOL_ARGS_V2_NAME = 56;
    /** {@code struct btrfs_ioctl_quota_ctl_args}: cmd, status. */
    private static final int QUOTA_CTL_ARGS_SIZE = 16;
    /** {@code struct btrfs_ioctl_qgroup_limit_args}: qgroupid, then flags, max_rfer, max_excl, rsv_rfer, rsv_excl. */
    private static final int QGROUP_LIMIT_ARGS_SIZE = 48;

    static final long IOC_SYNC = ioc(0, 8, 0);
    static final long IOC_RESIZE = ioc(IOC_WRITE, 3, VOL_ARGS_SIZE);
    static final long IOC_SUBVOL_CREATE = ioc(IOC_WRITE, 14, VOL_ARGS_SIZE);
    static final long IOC_SNAP_DESTROY = ioc(IOC_WRITE, 15, VOL_ARGS_SIZE);
    static final long IOC_SNAP_CREATE_V2 = ioc(IOC_WRITE, 23, VOL_ARGS_V2_SIZE);
    static final long IOC_QUOTA_CTL = ioc(IOC_READ | IOC_WRITE, 40, QUOTA_CTL_ARGS_SIZE);
    /** Declared {@code _IOR} in the header although the kernel reads the argument; the number is what counts. */
    static final long IOC_QGROUP_LIMIT = ioc(IOC_READ, 43, QGROUP_LIMIT_ARGS_SIZE);

    static final long SUBVOL_RDONLY = 1L << 1;
    static final long SUBVOL_QGROUP_INHERIT = 1L << 2;
    /**
     * {@code struct btrfs_qgroup_inherit}: flags, num_qgroups, num_ref_copies, num_excl_copies, then a
     * {@code struct btrfs_qgroup_limit} (flags, max_rfer, max_excl, rsv_rfer, rsv_excl); no qgroups follow.
     */
    private static final int QGROUP_INHERIT_SIZE = 72, QGROUP_INHERIT_LIMIT = 32;
    private static final long QGROUP_INHERIT_SET_LIMITS = 1L << 0;
    static final long QUOTA_CTL_ENABLE_SIMPLE_QUOTA = 4;
    static final long QGROUP_LIMIT_MAX_RFER = 1L << 0;
    /** A limit of all ones clears it. */
    private static final long QGROUP_LIMIT_CLEAR = -1L;
    private static final int SUBVOL_NAME_MAX = 4039;

    private static final int AT_FDCWD = -100;
    private static final int RENAME_EXCHANGE = 1 << 1;
    private static final int O_RDONLY = 0, O_DIRECTORY = 0200000, O_NOFOLLOW = 0400000, O_CLOEXEC = 02000000;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final MethodHandle OPEN = LINKER.downcallHandle(LIBC.find("open").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
            Linker.Option.captureCallState("errno"), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle IOCTL = LINKER.downcallHandle(LIBC.find("ioctl").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS),
            Linker.Option.captureCallState("errno"), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle CLOSE = LINKER.downcallHandle(LIBC.find("close").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle SYNCFS = downcall("syncfs",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle RENAMEAT2 = downcall("renameat2", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle FCHOWN = downcall("fchown",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle FSETXATTR = downcall("fsetxattr", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final MethodHandle FGETXATTR = downcall("fgetxattr", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(LIBC.find("strerror").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

    private Btrfs() {
    }

    private static MethodHandle downcall(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(() -> new IllegalStateException("libc has no " + name)),
                descriptor, Linker.Option.captureCallState("errno"));
    }

    /** {@code _IOC(dir, 0x94, nr, size)} as {@code <asm-generic/ioctl.h>} builds it. */
    static long ioc(int dir, int nr, int size) {
        return ((long) dir << 30) | ((long) size << 16) | ((long) MAGIC << 8) | nr;
    }

    /** Makes an empty subvolume {@code name} in the directory {@code parent}. */
    static void createSubvolume(Path parent, String name) throws IOException {
        try (Arena arena = Arena.ofConfined(); var dir = Dir.open(parent)) {
            MemorySegment args = arena.allocate(VOL_ARGS_SIZE, 8);
            putName(args, VOL_ARGS_NAME, name, VOL_ARGS_SIZE - VOL_ARGS_NAME - 1);
            dir.ioctl(arena, IOC_SUBVOL_CREATE, args, "create subvolume", parent.resolve(name));
        }
    }

    static void snapshot(Path source, Path parent, String name, boolean readOnly) throws IOException {
        snapshot(source, parent, name, readOnly, java.util.OptionalLong.empty());
    }

    /**
     * Snapshots the subvolume {@code source} as {@code name} in {@code parent}: writable (a fork) or
     * read-only, its quota group bounded by {@code limit} in the same transaction (a snapshot does not get
     * its source's limit). The kernel flushes the source's dirty data inside the snapshot; flush before
     * ({@link #syncfs}) so that work happens outside it.
     */
    static void snapshot(Path source, Path parent, String name, boolean readOnly, java.util.OptionalLong limit)
            throws IOException {
        try (Arena arena = Arena.ofConfined(); var src = Dir.open(source); var dir = Dir.open(parent)) {
            MemorySegment args = arena.allocate(VOL_ARGS_V2_SIZE, 8);
            args.set(ValueLayout.JAVA_LONG, 0, src.fd);
            long flags = readOnly ? SUBVOL_RDONLY : 0L;
            if (limit.isPresent()) {
                MemorySegment inherit = arena.allocate(QGROUP_INHERIT_SIZE, 8);
                inherit.set(ValueLayout.JAVA_LONG, 0, QGROUP_INHERIT_SET_LIMITS);
                inherit.set(ValueLayout.JAVA_LONG, QGROUP_INHERIT_LIMIT, QGROUP_LIMIT_MAX_RFER);
                inherit.set(ValueLayout.JAVA_LONG, QGROUP_INHERIT_LIMIT + 8, limit.getAsLong());
                flags |= SUBVOL_QGROUP_INHERIT;
                args.set(ValueLayout.JAVA_LONG, 24, QGROUP_INHERIT_SIZE); // the union's {size, pointer}
                args.set(ValueLayout.ADDRESS, 32, inherit);
            }
            args.set(ValueLayout.JAVA_LONG, VOL_ARGS_V2_FLAGS, flags);
            putName(args, VOL_ARGS_V2_NAME, name, SUBVOL_NAME_MAX);
            dir.ioctl(arena, IOC_SNAP_CREATE_V2, args, "snapshot " + source + " as", parent.resolve(name));
        }
    }

    /** Deletes the subvolume {@code name} of {@code parent} (read-only ones too); ENOTEMPTY if it holds subvolumes. */
    static void destroySubvolume(Path parent, String name) throws IOException {
        try (Arena arena = Arena.ofConfined(); var dir = Dir.open(parent)) {
            MemorySegment args = arena.allocate(VOL_ARGS_SIZE, 8);
            putName(args, VOL_ARGS_NAME, name, VOL_ARGS_SIZE - VOL_ARGS_NAME - 1);
            dir.ioctl(arena, IOC_SNAP_DESTROY, args, "delete subvolume", parent.resolve(name));
        }
    }

    /** Grows the filesystem mounted at {@code mount} to the whole of its (grown) device. */
    static void growToDevice(Path mount) throws IOException {
        try (Arena arena = Arena.ofConfined(); var dir = Dir.open(mount)) {
            MemorySegment args = arena.allocate(VOL_ARGS_SIZE, 8);
            putName(args, VOL_ARGS_NAME, "max", VOL_ARGS_SIZE - VOL_ARGS_NAME - 1);
            dir.ioctl(arena, IOC_RESIZE, args, "resize", mount);
        }
    }

    /**
     * Turns on simple quotas (kernel 6.7+): each extent is charged to the subvolume that wrote it, so a
     * fork starts at zero instead of its parent's size. A no-op when quotas are already on.
     */
    static void enableSimpleQuotas(Path mount) throws IOException {
        try (Arena arena = Arena.ofConfined(); var dir = Dir.open(mount)) {
            MemorySegment args = arena.allocate(QUOTA_CTL_ARGS_SIZE, 8);
            args.set(ValueLayout.JAVA_LONG, 0, QUOTA_CTL_ENABLE_SIMPLE_QUOTA);
            dir.ioctl(arena, IOC_QUOTA_CTL, args, "enable simple quotas on", mount);
        }
    }

    /** Bounds what the subvolume at {@code subvolume} references (its quota group 0/id); empty clears the bound. */
    static void limit(Path subvolume, java.util.OptionalLong bytes) throws IOException {
        try (Arena arena = Arena.ofConfined(); var dir = Dir.open(subvolume)) {
            MemorySegment args = arena.allocate(QGROUP_LIMIT_ARGS_SIZE, 8);
            args.set(ValueLayout.JAVA_LONG, 0, 0L); // 0: the quota group of the subvolume the fd is in
            args.set(ValueLayout.JAVA_LONG, 8, QGROUP_LIMIT_MAX_RFER);
            args.set(ValueLayout.JAVA_LONG, 16, bytes.orElse(QGROUP_LIMIT_CLEAR));
            dir.ioctl(arena, IOC_QGROUP_LIMIT, args, "limit", subvolume);
        }
    }

    /** Writes back the whole filesystem's dirty data and commits its transaction (which frees deleted space). */
    static void syncfs(Path path) throws IOException {
        try (Arena arena = Arena.ofConfined(); var dir = Dir.open(path)) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int rc = (int) invoke(() -> (int) SYNCFS.invokeExact(state, dir.fd));
            check(rc, state, "syncfs", path);
        }
    }

    /** Swaps the names {@code a} and {@code b} of {@code parent} in one step. */
    static void exchange(Path parent, String a, String b) throws IOException {
        try (Arena arena = Arena.ofConfined(); var dir = Dir.open(parent)) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment from = arena.allocateFrom(a), to = arena.allocateFrom(b);
            int rc = (int) invoke(() -> (int) RENAMEAT2.invokeExact(state, dir.fd, from, dir.fd, to, RENAME_EXCHANGE));
            check(rc, state, "exchange " + parent.resolve(a) + " with", parent.resolve(b));
        }
    }

    /** Changes the owner of the directory itself. */
    static void chown(Path directory, long uid, long gid) throws IOException {
        try (Arena arena = Arena.ofConfined(); var dir = Dir.open(directory)) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int rc = (int) invoke(() -> (int) FCHOWN.invokeExact(state, dir.fd, (int) uid, (int) gid));
            check(rc, state, "chown", directory);
        }
    }

    static void setXattr(Path directory, String name, String value) throws IOException {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        try (Arena arena = Arena.ofConfined(); var dir = Dir.open(directory)) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment buffer = arena.allocate(Math.max(1, bytes.length));
            MemorySegment.copy(bytes, 0, buffer, ValueLayout.JAVA_BYTE, 0, bytes.length);
            MemorySegment cName = arena.allocateFrom(name);
            int rc = (int) invoke(() -> (int) FSETXATTR.invokeExact(state, dir.fd, cName, buffer, (long) bytes.length, 0));
            check(rc, state, "setxattr " + name, directory);
        }
    }

    /** The value of a short xattr of the directory, or empty when it has none by that name. */
    static Optional<String> getXattr(Path directory, String name) throws IOException {
        try (Arena arena = Arena.ofConfined(); var dir = Dir.open(directory)) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment buffer = arena.allocate(256);
            MemorySegment cName = arena.allocateFrom(name);
            long read = (long) invoke(() -> (long) FGETXATTR.invokeExact(state, dir.fd, cName, buffer, 256L));
            if (read < 0 && errno(state) == ENODATA) {
                return Optional.empty();
            }
            check(read < 0 ? -1 : 0, state, "getxattr " + name, directory);
            return Optional.of(new String(buffer.asSlice(0, read).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8));
        }
    }

    private static void putName(MemorySegment args, long offset, String name, int max) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > max || name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("not a subvolume name: " + name);
        }
        MemorySegment.copy(bytes, 0, args, ValueLayout.JAVA_BYTE, offset, bytes.length);
    }

    /** An open directory (never a symbolic link), closed with the block that opened it. */
    private record Dir(int fd) implements AutoCloseable {

        static Dir open(Path path) throws IOException {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment state = arena.allocate(CALL_STATE);
                MemorySegment cPath = arena.allocateFrom(path.toString());
                int fd = (int) invoke(() -> (int) OPEN.invokeExact(state, cPath,
                        O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0));
                check(fd, state, "open", path);
                return new Dir(fd);
            }
        }

        void ioctl(Arena arena, long request, MemorySegment args, String what, Path path) throws IOException {
            MemorySegment state = arena.allocate(CALL_STATE);
            int rc = (int) invoke(() -> (int) IOCTL.invokeExact(state, fd, request, args));
            check(rc, state, what, path);
        }

        @Override
        public void close() {
            try {
                int ignored = (int) CLOSE.invokeExact(fd);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }
    }

    /** A native call; the handles throw nothing but what their descriptors allow. */
    private interface Call {
        Object run() throws Throwable;
    }

    private static Object invoke(Call call) {
        try {
            return call.run();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    private static void check(int rc, MemorySegment state, String op, Path path) throws IOException {
        if (rc < 0) {
            throw failure(errno(state), op, path);
        }
    }

    /** The JDK's exception for {@code errno}, so callers can tell "missing" and "exists" apart from the rest. */
    static IOException failure(int errno, String op, Path path) {
        String reason = strerror(errno) + " (errno " + errno + ")";
        return switch (errno) {
            case ENOENT -> new NoSuchFileException(path.toString(), null, op + ": " + reason);
            case EEXIST -> new FileAlreadyExistsException(path.toString(), null, op + ": " + reason);
            case ENOTEMPTY -> new DirectoryNotEmptyException(path.toString());
            case EACCES, EPERM -> new AccessDeniedException(path.toString(), null, op + ": " + reason);
            case EDQUOT, ENOSPC -> new VolumeFullException(op + " " + path + ": " + reason);
            default -> new FileSystemException(path.toString(), null, op + ": " + reason);
        };
    }

    private static String strerror(int errno) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
            return text.reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "error " + errno;
        }
    }
}
