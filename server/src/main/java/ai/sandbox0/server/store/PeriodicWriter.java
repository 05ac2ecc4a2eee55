package ai.sandbox0.server.store;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A virtual thread that writes counts gathered in memory to the store every {@code interval}, and once more at
 * close: what a killed server loses is at most one interval. Closing does not interrupt the thread, which would
 * close the store connection under a write in progress; it waits for the pass in flight, then runs the last.
 */
public final class PeriodicWriter implements AutoCloseable {

    private final String name;
    private final Duration interval;
    private final Runnable pass;
    private final Runnable last;
    private final CountDownLatch stopping = new CountDownLatch(1);
    private Thread thread;

    /**
     * @param pass what runs every interval
     * @param last what runs once at close, after the thread has stopped (the store must still be open)
     */
    public PeriodicWriter(String name, Duration interval, Runnable pass, Runnable last) {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("flush interval must be positive, got " + interval);
        }
        this.name = name;
        this.interval = interval;
        this.pass = pass;
        this.last = last;
    }

    /** Starts the thread; a second call does nothing. */
    public synchronized void start() {
        if (thread == null) {
            thread = Thread.ofVirtual().name(name).start(this::run);
        }
    }

    private void run() {
        try {
            while (!stopping.await(interval.toNanos(), TimeUnit.NANOSECONDS)) {
                pass.run();
            }
        } catch (InterruptedException e) {
            // stopping
        }
    }

    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            t = thread;
            thread = null;
        }
        stopping.countDown();
        if (t != null) {
            try {
                t.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        last.run();
    }
}
