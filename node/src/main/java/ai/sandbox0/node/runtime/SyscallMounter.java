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

/** mount(2) and umount2(2) through the FFM API: no fork of mount(8) on the start path. */
public final class SyscallMounter implements Mounter {

    private static final int EINVAL = 22;
    private static final int ENOENT = 2;
    private static final int EBUSY = 16;
    private static final int MNT_DETACH = 2;
    private static final int PAGE = 4096;

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
