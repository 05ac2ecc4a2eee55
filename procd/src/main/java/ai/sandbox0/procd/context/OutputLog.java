package ai.sandbox0.procd.context;

import ai.sandbox0.api.context.ContextServerFrame;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The frames of one process run, for any number of attachers: a bounded replay window (frame count
 * and characters) followed by live frames, ended by the process {@code done}.
 *
 * <p>Back-pressure: none towards the process. The producer (the poll thread) never waits for a
 * reader; when the window is full the oldest frames are dropped, and an attacher that falls behind
 * the window continues from the oldest frame still kept. So a process writing gigabytes costs procd
 * at most the window, and a slow client cannot stall the process or other clients.
 */
public final class OutputLog {

    /** What {@link #await} returns: frames from {@code first} on, the cursor to continue from, and whether the log ended. */
    public record Batch(List<ContextServerFrame> frames, long next, boolean ended) {
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<ContextServerFrame> frames = new ArrayDeque<>();
    private final long maxChars;
    private final int maxFrames;
    private long firstSeq;
    private long chars;
    private boolean ended;

    public OutputLog(long maxChars, int maxFrames) {
        this.maxChars = maxChars;
        this.maxFrames = Math.max(2, maxFrames);
    }

    public void append(ContextServerFrame frame) {
        lock.lock();
        try {
            if (ended) {
                return;
            }
            frames.addLast(frame);
            chars += size(frame);
            while (frames.size() > 1 && (frames.size() > maxFrames || chars > maxChars)) {
                chars -= size(frames.removeFirst());
                firstSeq++;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Appends the last frame (the process {@code done}); attachers finish after it. */
    public void end(ContextServerFrame last) {
        lock.lock();
        try {
            append(last);
            ended = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    public boolean ended() {
        lock.lock();
        try {
            return ended;
        } finally {
            lock.unlock();
        }
    }

    /** Waits up to {@code timeoutMillis} for frames at or after {@code cursor} (0 = from the oldest kept). */
    public Batch await(long cursor, long timeoutMillis) throws InterruptedException {
        lock.lock();
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            while (cursor >= firstSeq + frames.size() && !ended) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return new Batch(List.of(), cursor, false);
                }
                changed.awaitNanos(left);
            }
            long from = Math.max(cursor, firstSeq);
            List<ContextServerFrame> out = new ArrayList<>((int) (firstSeq + frames.size() - from));
            long seq = firstSeq;
            for (ContextServerFrame f : frames) {
                if (seq++ >= from) {
                    out.add(f);
                }
            }
            long next = firstSeq + frames.size();
            return new Batch(out, next, ended);
        } finally {
            lock.unlock();
        }
    }

    /** The kept output text, in order (a command's {@code output_raw}). */
    public String text() {
        lock.lock();
        try {
            StringBuilder sb = new StringBuilder();
            for (ContextServerFrame f : frames) {
                if (f instanceof ContextServerFrame.Output o) {
                    sb.append(o.data());
                }
            }
            return sb.toString();
        } finally {
            lock.unlock();
        }
    }

    private static long size(ContextServerFrame f) {
        return f instanceof ContextServerFrame.Output o ? o.data().length() + 32 : 32;
    }
}
