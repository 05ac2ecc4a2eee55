package ai.sandbox0.node;

import ai.sandbox0.node.runtime.SetupException;
import ai.sandbox0.node.runtime.Step;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Who may start a sandbox now. A start is mostly CPU (procd's JVM, runc, the namespaces), so a host
 * starts only a few at once; more at once would only make each slower. Someone waiting for their
 * sandbox (a cold claim, a resume) goes before pool refills, first come first served, and waits at most
 * {@code maxWait}: when the queue ahead of it would take longer, or it has waited that long, it is
 * turned away at once with {@link Busy}, which says when trying again is worth it. Refills wait as long
 * as it takes, and only while no caller waits.
 *
 * <p>Thread-safe. Queues are short (bounded by concurrent requests), so one lock and one condition do.
 */
public final class StartGate {

    /** Who is starting: a caller waiting for the sandbox, or the pool filling up ahead of claims. */
    public enum Priority { CALLER, REFILL }

    /** The host is starting as many sandboxes as it can; the caller should try again after {@code retryAfter}. */
    public static final class Busy extends SetupException {
        private final String reason;
        private final Duration retryAfter;

        Busy(String reason, Duration retryAfter) {
            super(Step.ADMIT, reason);
            this.reason = reason;
            this.retryAfter = retryAfter;
        }

        /** What the caller is told, without the step. */
        public String reason() {
            return reason;
        }

        public Duration retryAfter() {
            return retryAfter;
        }
    }

    /** A held start slot; closing it gives the slot back and records how long the start took. */
    public final class Permit implements AutoCloseable {
        private final long since = System.nanoTime();
        private boolean closed;

        @Override
        public void close() {
            lock.lock();
            try {
                if (closed) {
                    return;
                }
                closed = true;
                inUse--;
                long took = System.nanoTime() - since;
                averageNanos = averageNanos == 0 ? took : (averageNanos * 7 + took) / 8;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Before any start was timed: what a start under load takes on a small host, roughly. */
    private static final long FIRST_GUESS_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final int slots;
    private final Duration maxWait;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Deque<Object> callers = new ArrayDeque<>();
    private final Deque<Object> refills = new ArrayDeque<>();
    // guarded by lock
    private int inUse;
    private long averageNanos;
    private long turnedAway;

    public StartGate(int slots, Duration maxWait) {
        if (slots < 1) {
            throw new IllegalArgumentException("slots must be >= 1, got " + slots);
        }
        this.slots = slots;
        this.maxWait = maxWait;
    }

    public int slots() {
        return slots;
    }

    /** How long a caller arriving now would wait for a slot, by the recent starts' average. */
    public Duration expectedWait() {
        return read(() -> Duration.ofNanos(expectedWaitNanos(callers.size())));
    }

    /** Starts running now. */
    public int running() {
        return read(() -> inUse);
    }

    /** Callers turned away with {@link Busy} since the gate was made. */
    public long turnedAway() {
        return read(() -> turnedAway);
    }

    /** Callers waiting for a slot now. */
    public int waiting() {
        return read(() -> callers.size());
    }

    /**
     * A slot, once one is free and nobody ahead waits for one. A caller is turned away with {@link Busy}
     * when the starts ahead of it would keep it waiting longer than {@code maxWait}, or once it has.
     */
    public Permit enter(Priority priority) throws Busy, InterruptedException {
        Object me = new Object();
        lock.lock();
        try {
            Deque<Object> queue = priority == Priority.CALLER ? callers : refills;
            if (priority == Priority.CALLER && inUse >= slots) {
                long expected = expectedWaitNanos(callers.size());
                if (expected > maxWait.toNanos()) {
                    throw busy(expected);
                }
            }
            queue.addLast(me);
            long deadline = System.nanoTime() + maxWait.toNanos();
            try {
                while (!(inUse < slots && queue.peekFirst() == me && (priority == Priority.CALLER || callers.isEmpty()))) {
                    if (priority == Priority.REFILL) {
                        changed.await();
                        continue;
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw busy(expectedWaitNanos(callers.size() - 1));
                    }
                    changed.awaitNanos(left);
                }
            } catch (Busy | InterruptedException | RuntimeException e) {
                queue.remove(me);
                changed.signalAll(); // whoever was behind may be first now
                throw e;
            }
            queue.removeFirst();
            inUse++;
            changed.signalAll(); // the next in line may fit in another free slot
            return new Permit();
        } finally {
            lock.unlock();
        }
    }

    private <T> T read(java.util.function.Supplier<T> value) {
        lock.lock();
        try {
            return value.get();
        } finally {
            lock.unlock();
        }
    }

    // guarded by lock: the wait of someone with `ahead` callers before it, every slot busy.
    private long expectedWaitNanos(int ahead) {
        long start = averageNanos == 0 ? FIRST_GUESS_NANOS : averageNanos;
        int free = slots - inUse;
        if (free > ahead) {
            return 0;
        }
        // Each round of `slots` starts frees the slots for the next `slots` in line.
        long rounds = (ahead - free) / slots + 1;
        return rounds * start;
    }

    // guarded by lock
    private Busy busy(long expectedNanos) {
        turnedAway++;
        Duration retry = Duration.ofNanos(Math.max(expectedNanos, TimeUnit.SECONDS.toNanos(1)));
        return new Busy("the host is starting as many sandboxes as it can (" + slots + " at once, "
                + callers.size() + " waiting); try again in " + ((retry.toMillis() + 999) / 1000) + " s", retry);
    }
}
