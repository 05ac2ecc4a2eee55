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
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One inotify instance and an eventfd that wakes its reader to stop. Watches are added by a
 * descriptor's {@code /proc/self/fd/N} magic link, which names the inode the descriptor is open on and
 * is not a path walked through the volume: the caller resolved that descriptor already, confined.
 * Needs glibc 2.9 (inotify_init1, eventfd).
 */
@SuppressWarnings("restricted") // the point of this class; the build enables native access
final class Inotify implements AutoCloseable {

    static final int IN_MODIFY = 0x2;
    static final int IN_ATTRIB = 0x4;
    static final int IN_MOVED_FROM = 0x40;
    static final int IN_MOVED_TO = 0x80;
    static final int IN_CREATE = 0x100;
    static final int IN_DELETE = 0x200;
    static final int IN_DELETE_SELF = 0x400;
    static final int IN_MOVE_SELF = 0x800;
    static final int IN_Q_OVERFLOW = 0x4000;
    static final int IN_IGNORED = 0x8000;
    static final int IN_ONLYDIR = 0x1000000;
    static final int IN_EXCL_UNLINK = 0x4000000;
    static final int IN_ISDIR = 0x40000000;

    private static final int IN_NONBLOCK = Syscalls.O_NONBLOCK;
    private static final int IN_CLOEXEC = Syscalls.O_CLOEXEC;
    private static final int EFD_NONBLOCK = Syscalls.O_NONBLOCK;
    private static final int EFD_CLOEXEC = Syscalls.O_CLOEXEC;
    private static final short POLLIN = 1;
    /** Room for at least 256 events with the longest names. */
    private static final long BUFFER = 64 * 1024;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final ValueLayout PTR = ValueLayout.ADDRESS;

    private static final MethodHandle INIT1 = downcall("inotify_init1", FunctionDescriptor.of(INT, INT));
    private static final MethodHandle ADD_WATCH = downcall("inotify_add_watch",
            FunctionDescriptor.of(INT, INT, PTR, INT));
    private static final MethodHandle RM_WATCH = downcall("inotify_rm_watch", FunctionDescriptor.of(INT, INT, INT));
    private static final MethodHandle EVENTFD = downcall("eventfd", FunctionDescriptor.of(INT, INT, INT));
    private static final MethodHandle POLL = downcall("poll", FunctionDescriptor.of(INT, PTR, LONG, INT));
    private static final MethodHandle READ = downcall("read", FunctionDescriptor.of(LONG, INT, PTR, LONG));
    private static final MethodHandle WRITE = downcall("write", FunctionDescriptor.of(LONG, INT, PTR, LONG));

    /** One {@code struct inotify_event}; {@code name} is empty for an event on the watched inode itself. */
    record Event(int wd, int mask, byte[] name) {

        boolean is(int bits) {
            return (mask & bits) != 0;
        }

        String nameText() {
            return new String(name, StandardCharsets.UTF_8);
        }
    }

    private final int fd;
    private final int wake;
    private final Arena buffers = Arena.ofShared();
    private final MemorySegment buffer = buffers.allocate(BUFFER, 8);
    private final MemorySegment pollFds = buffers.allocate(16, 8);

    private Inotify(int fd, int wake) {
        this.fd = fd;
        this.wake = wake;
    }

    static Inotify open() throws SyscallException {
        int fd = call(INIT1, "inotify_init1", IN_NONBLOCK | IN_CLOEXEC);
        try {
            return new Inotify(fd, call(EVENTFD, "eventfd", 0, EFD_NONBLOCK | EFD_CLOEXEC));
        } catch (SyscallException e) {
            Syscalls.close(fd);
            throw e;
        }
    }

    /** Watches the inode {@code target} is open on; the same inode again gets the same watch descriptor. */
    int addWatch(Fd target, int mask) throws SyscallException {
        byte[] path = target.procPath().toString().getBytes(StandardCharsets.UTF_8);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            MemorySegment cPath = arena.allocate(path.length + 1L);
            MemorySegment.copy(path, 0, cPath, ValueLayout.JAVA_BYTE, 0, path.length);
            int wd = (int) ADD_WATCH.invokeExact(state, fd, cPath, mask);
            if (wd < 0) {
                throw new SyscallException("inotify_add_watch", (int) ERRNO.get(state, 0L));
            }
            return wd;
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Drops a watch; one the kernel dropped already (its inode is gone) is fine. */
    void removeWatch(int wd) {
        try {
            call(RM_WATCH, "inotify_rm_watch", fd, wd);
        } catch (SyscallException e) {
            // EINVAL: already removed, and its IN_IGNORED is on its way
        }
    }

    /**
     * Waits for events and returns them, or an empty list once {@link #wakeUp} was called. Only one thread
     * may read.
     */
    List<Event> await() throws SyscallException {
        while (true) {
            pollFds.set(INT, 0, fd);
            pollFds.set(ValueLayout.JAVA_SHORT, 4, POLLIN);
            pollFds.set(ValueLayout.JAVA_SHORT, 6, (short) 0);
            pollFds.set(INT, 8, wake);
            pollFds.set(ValueLayout.JAVA_SHORT, 12, POLLIN);
            pollFds.set(ValueLayout.JAVA_SHORT, 14, (short) 0);
            try {
                call(POLL, "poll", pollFds, 2L, -1);
            } catch (SyscallException e) {
                if (e.is(Syscalls.EINTR)) {
                    continue;
                }
                throw e;
            }
            if (pollFds.get(ValueLayout.JAVA_SHORT, 14) != 0) {
                return List.of();
            }
            var events = new ArrayList<Event>();
            long n;
            while ((n = read(fd, buffer, BUFFER)) > 0) {
                parse(n, events);
            }
            if (!events.isEmpty()) {
                return events;
            }
        }
    }

    /** Makes the reader's {@link #await} return empty, now or at its next call. */
    void wakeUp() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment one = arena.allocate(LONG);
            one.set(LONG, 0, 1L);
            MemorySegment state = arena.allocate(CALL_STATE);
            long ignored = (long) WRITE.invokeExact(state, wake, one, 8L);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Frees the descriptors; the reader must have stopped. */
    @Override
    public void close() {
        Syscalls.close(fd);
        Syscalls.close(wake);
        buffers.close();
    }

    private void parse(long length, List<Event> into) {
        // struct inotify_event { int wd; u32 mask; u32 cookie; u32 len; char name[len]; } (name NUL-padded)
        long offset = 0;
        while (offset + 16 <= length) {
            int wd = buffer.get(INT, offset);
            int mask = buffer.get(INT, offset + 4);
            int nameLength = buffer.get(INT, offset + 12);
            long name = offset + 16;
            long end = name;
            while (end < name + nameLength && buffer.get(ValueLayout.JAVA_BYTE, end) != 0) {
                end++;
            }
            into.add(new Event(wd, mask, buffer.asSlice(name, end - name).toArray(ValueLayout.JAVA_BYTE)));
            offset = name + nameLength;
        }
    }

    /** Bytes read, or 0 when nothing is waiting (EAGAIN). */
    private static long read(int fd, MemorySegment into, long capacity) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            while (true) {
                long n = (long) READ.invokeExact(state, fd, into, capacity);
                if (n >= 0) {
                    return n;
                }
                int errno = (int) ERRNO.get(state, 0L);
                if (errno == Syscalls.EAGAIN) {
                    return 0;
                }
                if (errno != Syscalls.EINTR) {
                    throw new SyscallException("read", errno);
                }
            }
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static int call(MethodHandle handle, String name, Object... args) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            Object[] withState = new Object[args.length + 1];
            withState[0] = state;
            System.arraycopy(args, 0, withState, 1, args.length);
            int rc = (int) handle.invokeWithArguments(withState);
            if (rc < 0) {
                throw new SyscallException(name, (int) ERRNO.get(state, 0L));
            }
            return rc;
        } catch (SyscallException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static MethodHandle downcall(String name, FunctionDescriptor descriptor) {
        return LINKER.downcallHandle(LIBC.find(name).orElseThrow(() -> new IllegalStateException("libc has no " + name)),
                descriptor, Linker.Option.captureCallState("errno"));
    }
}
