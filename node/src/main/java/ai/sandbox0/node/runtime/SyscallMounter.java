package ai.sandbox0.node.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.List;

/**
 * mount(2), umount2(2) and the mount API of Linux 5.12+ (open_tree, mount_setattr, move_mount: their
 * numbers are the same on every architecture) through the FFM API: no fork of mount(8) on the start path.
 */
public final class SyscallMounter implements Mounter {

    private static final int EINVAL = 22;
    private static final int ENOENT = 2;
    private static final int EBUSY = 16;
    private static final int MNT_DETACH = 2;
    private static final int PAGE = 4096;
    private static final long MS_BIND = 4096;
    private static final int AT_FDCWD = -100;
    private static final int O_RDONLY_CLOEXEC = 02000000;
    private static final int OPEN_TREE_CLONE = 1, OPEN_TREE_CLOEXEC = 02000000;
    private static final int AT_EMPTY_PATH = 0x1000;
    private static final long MOUNT_ATTR_RDONLY = 0x1, MOUNT_ATTR_NOSUID = 0x2, MOUNT_ATTR_NODEV = 0x4;
    private static final long MOUNT_ATTR_IDMAP = 0x100000;
    private static final int MOVE_MOUNT_F_EMPTY_PATH = 4;
    private static final long SYS_OPEN_TREE = 428, SYS_MOVE_MOUNT = 429, SYS_MOUNT_SETATTR = 442;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle MOUNT = LINKER.downcallHandle(
            LINKER.defaultLookup().find("mount").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS),
            Linker.Option.captureCallState("errno"));
    private static final MethodHandle UMOUNT2 = LINKER.downcallHandle(
            LINKER.defaultLookup().find("umount2").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
            Linker.Option.captureCallState("errno"));
    private static final MethodHandle OPEN = LINKER.downcallHandle(
            LINKER.defaultLookup().find("open").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
            Linker.Option.captureCallState("errno"));
    private static final MethodHandle CLOSE = LINKER.downcallHandle(
            LINKER.defaultLookup().find("close").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    /** syscall(number, int, const char *, int / ...): open_tree and move_mount and mount_setattr. */
    private static final MethodHandle OPEN_TREE = syscall(FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle MOUNT_SETATTR = syscall(FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle MOVE_MOUNT = syscall(FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(
            LINKER.defaultLookup().find("strerror").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

    @Override
    public void mountOverlay(List<Path> lowers, Path upper, Path work, Path target) throws SetupException {
        String options = Mounter.overlayOptions(lowers, upper, work);
        if (options.length() >= PAGE) {
            // The kernel reads one page of options; squash the chain below this depth.
            throw new SetupException(Step.MOUNT_ROOTFS, "overlay options exceed a page (" + lowers.size()
                    + " lower dirs): squash the layer chain");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            int rc = (int) MOUNT.invokeExact(state, arena.allocateFrom("overlay"),
                    arena.allocateFrom(target.toString()), arena.allocateFrom("overlay"), 0L,
                    arena.allocateFrom(options));
            if (rc != 0) {
                int errno = (int) ERRNO.get(state, 0L);
                throw new SetupException(Step.MOUNT_ROOTFS, target + ": " + strerror(errno) + " (options " + options + ")");
            }
        } catch (SetupException e) {
            throw e;
        } catch (Throwable t) {
            throw new SetupException(Step.MOUNT_ROOTFS, target + ": " + t, t);
        }
    }

    private static MethodHandle syscall(FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find("syscall").orElseThrow(), descriptor,
                Linker.Option.firstVariadicArg(1), Linker.Option.captureCallState("errno"));
    }

    @Override
    public void bindIdmapped(Path source, Path target, Path userns, boolean readOnly) throws SetupException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            int nsFd = (int) OPEN.invokeExact(state, arena.allocateFrom(userns.toString()), O_RDONLY_CLOEXEC);
            if (nsFd < 0) {
                throw failure(Step.BIND_IDMAPPED, "open " + userns, state);
            }
            int treeFd = -1;
            try {
                treeFd = (int) (long) OPEN_TREE.invokeExact(state, SYS_OPEN_TREE, AT_FDCWD,
                        arena.allocateFrom(source.toString()), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
                if (treeFd < 0) {
                    throw failure(Step.BIND_IDMAPPED, "open_tree " + source, state);
                }
                // struct mount_attr { u64 attr_set, attr_clr, propagation, userns_fd; }
                MemorySegment attr = arena.allocate(32, 8);
                attr.set(ValueLayout.JAVA_LONG, 0, MOUNT_ATTR_IDMAP | (readOnly ? MOUNT_ATTR_RDONLY : 0)
                        | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
                attr.set(ValueLayout.JAVA_LONG, 24, nsFd);
                long rc = (long) MOUNT_SETATTR.invokeExact(state, SYS_MOUNT_SETATTR, treeFd, arena.allocateFrom(""),
                        AT_EMPTY_PATH, attr, 32L);
                if (rc != 0) {
                    throw failure(Step.BIND_IDMAPPED, "idmapping " + source + " (does its filesystem support "
                            + "idmapped mounts?)", state);
                }
                rc = (long) MOVE_MOUNT.invokeExact(state, SYS_MOVE_MOUNT, treeFd, arena.allocateFrom(""), AT_FDCWD,
                        arena.allocateFrom(target.toString()), MOVE_MOUNT_F_EMPTY_PATH);
                if (rc != 0) {
                    throw failure(Step.BIND_IDMAPPED, "attaching " + source + " at " + target, state);
                }
            } finally {
                if (treeFd >= 0) {
                    int ignored = (int) CLOSE.invokeExact(treeFd);
                }
                int ignored = (int) CLOSE.invokeExact(nsFd);
            }
        } catch (SetupException e) {
            throw e;
        } catch (Throwable t) {
            throw new SetupException(Step.BIND_IDMAPPED, source + ": " + t, t);
        }
    }

    @Override
    public void bind(Path source, Path target) throws SetupException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            int rc = (int) MOUNT.invokeExact(state, arena.allocateFrom(source.toString()),
                    arena.allocateFrom(target.toString()), MemorySegment.NULL, MS_BIND, MemorySegment.NULL);
            if (rc != 0) {
                throw failure(Step.CREATE_NETNS, "bind " + source + " on " + target, state);
            }
        } catch (SetupException e) {
            throw e;
        } catch (Throwable t) {
            throw new SetupException(Step.CREATE_NETNS, "bind " + source + " on " + target + ": " + t, t);
        }
    }

    private static SetupException failure(Step step, String what, MemorySegment state) {
        return new SetupException(step, what + ": " + strerror((int) ERRNO.get(state, 0L)));
    }

    @Override
    public void unmount(Path target) throws SetupException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            MemorySegment path = arena.allocateFrom(target.toString());
            int rc = (int) UMOUNT2.invokeExact(state, path, 0);
            int errno = rc == 0 ? 0 : (int) ERRNO.get(state, 0L);
            if (errno == EBUSY) {
                // Something still holds it (a late exec); detach now, the kernel frees it when released.
                rc = (int) UMOUNT2.invokeExact(state, path, MNT_DETACH);
                errno = rc == 0 ? 0 : (int) ERRNO.get(state, 0L);
            }
            if (errno != 0 && errno != EINVAL && errno != ENOENT) {
                throw new SetupException(Step.UNMOUNT_ROOTFS, target + ": " + strerror(errno));
            }
        } catch (SetupException e) {
            throw e;
        } catch (Throwable t) {
            throw new SetupException(Step.UNMOUNT_ROOTFS, target + ": " + t, t);
        }
    }

    private static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.reinterpret(256).getString(0) + " (errno " + errno + ")";
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }
}
