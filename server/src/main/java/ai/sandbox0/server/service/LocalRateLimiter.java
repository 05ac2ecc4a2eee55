package ai.sandbox0.server.service;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Token buckets in this process: one entry per bucket that is not full, updated under its hash bin's lock
 * (so concurrent requests on different keys rarely wait for each other). Full buckets are swept out every
 * few seconds: memory holds only the routes that saw traffic within their refill time.
 */
public final class LocalRateLimiter implements RateLimiter {

    private static final long SCALE = 1_000_000_000L;
    private static final Duration SWEEP_EVERY = Duration.ofSeconds(10);

    /** Key → the {@link #clock} time at which its bucket is full again. */
    private final ConcurrentHashMap<String, Long> fullAt = new ConcurrentHashMap<>();
    private final LongSupplier clock;
    private final long sweepEvery;
    private final AtomicLong nextSweep;

    public LocalRateLimiter() {
        this(System::nanoTime, SWEEP_EVERY);
    }

    /** @param nanoClock a monotonic clock in nanoseconds (tests pass their own) */
    LocalRateLimiter(LongSupplier nanoClock, Duration sweepEvery) {
        this.clock = nanoClock;
        this.sweepEvery = sweepEvery.toNanos();
        this.nextSweep = new AtomicLong(nanoClock.getAsLong() + this.sweepEvery);
    }

    @Override
    public Decision acquire(String key, double rps, int burst) {
        TokenBucket.check(key, rps, burst);
        long interval = TokenBucket.interval(rps, SCALE);
        long tolerance = TokenBucket.tolerance(interval, burst);
        long now = clock.getAsLong();
        sweepIfDue(now);
        long[] wait = new long[1];
        fullAt.compute(key, (k, stored) -> {
            long next = (stored == null || stored - now < 0 ? now : stored) + interval;
            if (next - now > tolerance) {
                wait[0] = next - now - tolerance;
                return stored;
            }
            wait[0] = 0;
            return next;
        });
        return wait[0] == 0 ? Allowed.INSTANCE : new Refused(Duration.ofNanos(wait[0]));
    }

    /** Buckets held now (not full). */
    int buckets() {
        return fullAt.size();
    }

    private void sweepIfDue(long now) {
        long due = nextSweep.get();
        if (now - due >= 0 && nextSweep.compareAndSet(due, now + sweepEvery)) {
            // Conditional removal: a bucket taken from meanwhile has a later time and stays.
            fullAt.entrySet().removeIf(e -> e.getValue() - now <= 0);
        }
    }

    @Override
    public void close() {
        fullAt.clear();
    }

    @Override
    public String toString() {
        return "LocalRateLimiter[buckets=" + fullAt.size() + "]";
    }
}
