package ai.sandbox0.procd.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Writes to a non-blocking fd (a PTY master or a stdin pipe) from a virtual thread: each write()
 * returns at once, and a full buffer (a child that does not read its input) is waited out with
 * sleeps, which unmount the virtual thread, up to a deadline.
 */
public final class FdWriter {

    private FdWriter() {
    }

    /** Returns false if the buffer stayed full until the deadline; throws on a broken fd. */
    public static boolean writeAll(int fd, byte[] data, long timeoutMillis) {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(Math.max(1, data.length));
            MemorySegment.copy(data, 0, buf, ValueLayout.JAVA_BYTE, 0, data.length);
            long off = 0;
            long sleep = 1;
            while (off < data.length) {
                long n = LibC.write(fd, buf.asSlice(off), data.length - off);
                if (n > 0) {
                    off += n;
                    sleep = 1;
                } else if (n == -LibC.EAGAIN || n == -LibC.EINTR || n == 0) {
                    if (System.nanoTime() > deadline) {
                        return false;
                    }
                    try {
                        Thread.sleep(sleep);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                    sleep = Math.min(sleep * 2, 20);
                } else {
                    throw new SysException("write", (int) -n);
                }
            }
            return true;
        }
    }
}
