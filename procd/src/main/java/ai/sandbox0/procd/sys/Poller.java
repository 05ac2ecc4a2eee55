package ai.sandbox0.procd.sys;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import ai.sandbox0.procd.Log;

/**
 * One platform thread that waits in {@code poll(2)} for every fd procd reads: PTY masters, pipes,
 * pidfds and the inotify fd. A blocking FFM read on a virtual thread would pin its carrier (JDK 25
 * does not compensate native frames), so nobody else blocks on these fds: all are non-blocking and
 * read here, and the bytes are handed to consumers that run on virtual threads.
 *
 * <p>This thread is also the only one that closes a registered fd, after taking it out of its poll
 * set, so a fd number is never reused while someone could still poll or read the old one.
 */
public final class Poller implements AutoCloseable {

    /** Called on the poller thread when the fd is readable or hung up. */
    public interface Handler {
        /** Returns false to stop polling the fd; it stays open until {@link #close(int)}. */
        boolean onReady(int fd, short revents);
    }

    public static final int CHUNK = 64 * 1024;
    private static final short WANT = (short) (LibC.POLLIN | LibC.POLLHUP | LibC.POLLERR);

    private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
    private final Map<Integer, Handler> polled = new HashMap<>();
    private int wakeRead;
    private int wakeWrite;
    private MemorySegment chunk;
    private MemorySegment wakeByte;
    private volatile Thread thread;
    private volatile boolean running = true;

    /** Nothing native happens until the first fd is registered: a procd that only serves files starts faster. */
    public Poller() {
    }

    private void ensureStarted() {
        if (thread != null) {
            return;
        }
        synchronized (this) {
            if (thread == null) {
                chunk = Arena.global().allocate(CHUNK);
                wakeByte = Arena.global().allocate(1);
                int[] pipe = LibC.pipe(LibC.O_CLOEXEC | LibC.O_NONBLOCK);
                wakeRead = pipe[0];
                wakeWrite = pipe[1];
                Thread t = Thread.ofPlatform().name("procd-poller").daemon(true).stackSize(256 * 1024).unstarted(this::loop);
                t.start();
                thread = t;
            }
        }
    }

    /** Starts polling {@code fd} (already non-blocking) for {@code handler}. */
    public void register(int fd, Handler handler) {
        submit(() -> polled.put(fd, handler));
    }

    /** Stops polling {@code fd} and closes it on the poller thread; {@code after} runs once it is closed. */
    public void close(int fd, Runnable after) {
        submit(() -> {
            polled.remove(fd);
            LibC.close(fd);
            if (after != null) {
                after.run();
            }
        });
    }

    public void close(int fd) {
        close(fd, null);
    }

    /** Runs {@code task} on the poller thread, serialized with the handlers. */
    public void submit(Runnable task) {
        ensureStarted();
        commands.add(task);
        wake();
    }

    public boolean onPollerThread() {
        return Thread.currentThread() == thread;
    }

    /**
     * Reads once from {@code fd} into the poller's buffer; only from a handler. Returns the bytes, an
     * empty array at EOF (0 or EIO: a PTY master reads EIO once every slave fd is closed), or null if
     * nothing is available.
     */
    public byte[] read(int fd) {
        long n = LibC.read(fd, chunk, CHUNK);
        if (n > 0) {
            return chunk.asSlice(0, n).toArray(JAVA_BYTE);
        }
        if (n == -LibC.EAGAIN || n == -LibC.EINTR) {
            return null;
        }
        return new byte[0];
    }

    private void wake() {
        wakeByte.set(JAVA_BYTE, 0, (byte) 1);
        LibC.write(wakeWrite, wakeByte, 1); // EAGAIN means a wakeup is already pending
    }

    private void loop() {
        List<Integer> fds = new ArrayList<>();
        MemorySegment set = MemorySegment.NULL;
        try (Arena arena = Arena.ofConfined()) {
            while (running) {
                Runnable command;
                while ((command = commands.poll()) != null) {
                    runQuietly(command);
                }
                fds.clear();
                fds.add(wakeRead);
                fds.addAll(polled.keySet());
                if (set.byteSize() < fds.size() * 8L) {
                    set = arena.allocate(Math.max(64, fds.size() * 2) * 8L, 8);
                }
                for (int i = 0; i < fds.size(); i++) {
                    set.set(JAVA_INT, i * 8L, fds.get(i));
                    set.set(JAVA_SHORT, i * 8L + 4, WANT);
                    set.set(JAVA_SHORT, i * 8L + 6, (short) 0);
                }
                int ready = LibC.poll(set, fds.size(), -1);
                if (ready < 0) {
                    continue; // EINTR
                }
                for (int i = 0; i < fds.size(); i++) {
                    short revents = set.get(JAVA_SHORT, i * 8L + 6);
                    if (revents == 0) {
                        continue;
                    }
                    int fd = fds.get(i);
                    if (fd == wakeRead) {
                        while (LibC.read(wakeRead, chunk, CHUNK) > 0) {
                            // drain
                        }
                        continue;
                    }
                    Handler handler = polled.get(fd);
                    if (handler == null) {
                        continue;
                    }
                    boolean keep;
                    try {
                        keep = (revents & LibC.POLLNVAL) == 0 && handler.onReady(fd, revents);
                    } catch (Throwable t) {
                        Log.warn("poll handler failed for fd " + fd, t);
                        keep = false;
                    }
                    if (!keep) {
                        polled.remove(fd);
                    }
                }
            }
        }
    }

    private static void runQuietly(Runnable command) {
        try {
            command.run();
        } catch (Throwable t) {
            Log.warn("poller task failed", t);
        }
    }

    @Override
    public void close() {
        running = false;
        if (thread != null) {
            wake();
        }
    }
}
