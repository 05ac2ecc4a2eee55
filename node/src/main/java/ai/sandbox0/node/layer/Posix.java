package ai.sandbox0.node.layer;

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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The few libc calls the JDK lacks for layer work: device nodes, ownership without following
 * links, timestamps on symlinks, and xattrs outside the {@code user.} namespace (overlayfs keeps its
 * whiteout and opaque markers in {@code trusted.}). Each call names the operation, the path and
 * the errno text when it fails.
 */
@SuppressWarnings("restricted") // the point of this class; the build enables native access
public final class Posix {

    public static final int S_IFIFO = 0010000;
    public static final int S_IFCHR = 0020000;
    public static final int S_IFBLK = 0060000;

    private static final int ENODATA = 61;
    private static final int AT_FDCWD = -100;
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;
    private static final int O_RDONLY = 0;
    private static final int O_DIRECTORY = 0200000;
    private static final int O_CLOEXEC = 02000000;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final MethodHandle MKNOD = downcall("mknod",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
    private static final MethodHandle LCHOWN = downcall("lchown",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle CHMOD = downcall("chmod",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle UTIMENSAT = downcall("utimensat",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle LSETXATTR = downcall("lsetxattr",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final MethodHandle LGETXATTR = downcall("lgetxattr",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle LLISTXATTR = downcall("llistxattr",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle OPEN = LINKER.downcallHandle(LIBC.find("open").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
            Linker.Option.captureCallState("errno"), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle SYNCFS = downcall("syncfs",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle CLOSE = downcall("close",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(LIBC.find("strerror").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

    private Posix() {
    }

    private static MethodHandle downcall(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(() -> new IllegalStateException("libc has no " + name)),
                descriptor, Linker.Option.captureCallState("errno"));
    }

    /** Creates a character device; {@code (0, 0)} is an overlayfs whiteout. */
    public static void mknodChar(Path path, int mode, int major, int minor) throws IOException {
        mknod(path, S_IFCHR | (mode & 07777), major, minor);
    }

    public static void mknod(Path path, int modeWithType, int major, int minor) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int rc = (int) MKNOD.invokeExact(state, cString(arena, path), modeWithType, makedev(major, minor));
            check(rc, state, "mknod", path);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Changes owner of the path itself, never of a symlink's target. */
    public static void lchown(Path path, int uid, int gid) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int rc = (int) LCHOWN.invokeExact(state, cString(arena, path), uid, gid);
            check(rc, state, "lchown", path);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Sets all twelve mode bits (the JDK's permission API drops setuid, setgid and sticky). */
    public static void chmod(Path path, int mode) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int rc = (int) CHMOD.invokeExact(state, cString(arena, path), mode & 07777);
            check(rc, state, "chmod", path);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Sets access and modification time of the path itself (also of a symlink). */
    public static void lutimes(Path path, long epochSecond, int nanos) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment times = arena.allocate(ValueLayout.JAVA_LONG, 4);
            times.setAtIndex(ValueLayout.JAVA_LONG, 0, epochSecond);
            times.setAtIndex(ValueLayout.JAVA_LONG, 1, nanos);
            times.setAtIndex(ValueLayout.JAVA_LONG, 2, epochSecond);
            times.setAtIndex(ValueLayout.JAVA_LONG, 3, nanos);
            int rc = (int) UTIMENSAT.invokeExact(state, AT_FDCWD, cString(arena, path), times, AT_SYMLINK_NOFOLLOW);
            check(rc, state, "utimensat", path);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public static void lsetxattr(Path path, String name, byte[] value) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment buffer = arena.allocate(Math.max(1, value.length));
            MemorySegment.copy(value, 0, buffer, ValueLayout.JAVA_BYTE, 0, value.length);
            int rc = (int) LSETXATTR.invokeExact(state, cString(arena, path), arena.allocateFrom(name), buffer,
                    (long) value.length, 0);
            check(rc, state, "setxattr " + name, path);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The value of one xattr of the path itself, or empty when it has none by that name. */
    public static Optional<byte[]> lgetxattr(Path path, String name) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment cPath = cString(arena, path);
            MemorySegment cName = arena.allocateFrom(name);
            for (int attempt = 0; attempt < 4; attempt++) {
                long size = (long) LGETXATTR.invokeExact(state, cPath, cName, MemorySegment.NULL, 0L);
                if (size < 0) {
                    if (errno(state) == ENODATA) {
                        return Optional.empty();
                    }
                    check(-1, state, "getxattr " + name, path);
                }
                MemorySegment buffer = arena.allocate(Math.max(1, size));
                long read = (long) LGETXATTR.invokeExact(state, cPath, cName, buffer, size);
                if (read >= 0) {
                    return Optional.of(buffer.asSlice(0, read).toArray(ValueLayout.JAVA_BYTE));
                }
                // the value grew between the two calls (ERANGE); ask again
            }
            throw new IOException("getxattr " + name + " " + path + ": value keeps changing");
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Names of all xattrs of the path itself that this process may see. */
    public static List<String> llistxattr(Path path) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment cPath = cString(arena, path);
            for (int attempt = 0; attempt < 4; attempt++) {
                long size = (long) LLISTXATTR.invokeExact(state, cPath, MemorySegment.NULL, 0L);
                check(size < 0 ? -1 : 0, state, "listxattr", path);
                if (size == 0) {
                    return List.of();
                }
                MemorySegment buffer = arena.allocate(size);
                long read = (long) LLISTXATTR.invokeExact(state, cPath, buffer, size);
                if (read < 0) {
                    continue; // list grew (ERANGE)
                }
                byte[] names = buffer.asSlice(0, read).toArray(ValueLayout.JAVA_BYTE);
                var result = new ArrayList<String>();
                int start = 0;
                for (int i = 0; i < names.length; i++) {
                    if (names[i] == 0) {
                        if (i > start) {
                            result.add(new String(names, start, i - start, StandardCharsets.UTF_8));
                        }
                        start = i + 1;
                    }
                }
                return result;
            }
            throw new IOException("listxattr " + path + ": list keeps changing");
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Flushes the whole filesystem holding {@code dir} (cheaper than an fsync per extracted file). */
    public static void syncfs(Path dir) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int fd = (int) OPEN.invokeExact(state, cString(arena, dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
            check(fd, state, "open", dir);
            try {
                int rc = (int) SYNCFS.invokeExact(state, fd);
                check(rc, state, "syncfs", dir);
            } finally {
                int ignored = (int) CLOSE.invokeExact(state, fd);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public static int major(long dev) {
        return (int) (((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL));
    }

    public static int minor(long dev) {
        return (int) ((dev & 0xff) | ((dev >>> 12) & ~0xffL));
    }

    static long makedev(int major, int minor) {
        long ma = major & 0xffffffffL;
        long mi = minor & 0xffffffffL;
        return (mi & 0xff) | ((ma & 0xfff) << 8) | ((mi & ~0xffL) << 12) | ((ma & ~0xfffL) << 32);
    }

    private static MemorySegment cString(Arena arena, Path path) {
        return arena.allocateFrom(path.toString());
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    private static void check(int rc, MemorySegment state, String op, Path path) throws IOException {
        if (rc < 0) {
            int errno = errno(state);
            throw new IOException(op + " " + path + ": " + strerror(errno) + " (errno " + errno + ")");
        }
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
