package ai.sandbox0.procd.file;

import ai.sandbox0.api.file.FileWatchResponse;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One watch connection (what a WebSocket is upstream): the frames waiting for its reader, and its
 * subscriptions. Bounded: a reader that stops reading loses the oldest events, never procd's memory.
 */
public final class WatchStream {

    static final int MAX_QUEUED = 4096;

    private final String id;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<FileWatchResponse> queue = new ArrayDeque<>();
    final Map<String, FileWatcher.Subscription> subscriptions = new ConcurrentHashMap<>();
    private boolean closed;

    WatchStream(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    void push(FileWatchResponse frame) {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            queue.addLast(frame);
            while (queue.size() > MAX_QUEUED) {
                queue.removeFirst();
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Frames queued so far, waiting up to {@code timeoutMillis} for one; empty on timeout or close. */
    public List<FileWatchResponse> await(long timeoutMillis) throws InterruptedException {
        lock.lock();
        try {
            long left = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            while (queue.isEmpty() && !closed && left > 0) {
                left = changed.awaitNanos(left);
            }
            List<FileWatchResponse> out = new ArrayList<>(queue);
            queue.clear();
            return out;
        } finally {
            lock.unlock();
        }
    }

    public boolean closed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }

    void markClosed() {
        lock.lock();
        try {
            closed = true;
            queue.clear();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
