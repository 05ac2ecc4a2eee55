package ai.sandbox0.server.service;

import java.util.Objects;

/**
 * The arithmetic of a token bucket kept as one number: the time at which it will be full again (GCRA's
 * theoretical arrival time). A bucket at or past that time is full, exactly as if it did not exist, so a
 * backend may forget it then. Times are in some unit per second ({@code scale}): nanoseconds in memory,
 * microseconds in Redis.
 */
final class TokenBucket {

    /** Longest refill of one token: a slower rate counts as this one, keeping the arithmetic far from overflow. */
    static final long MAX_INTERVAL_SECONDS = 365L * 24 * 3600;

    private TokenBucket() {
    }

    static void check(String key, double rps, int burst) {
        Objects.requireNonNull(key, "key");
        if (!(rps > 0) || Double.isInfinite(rps)) {
            throw new IllegalArgumentException("rps must be a positive number, got " + rps);
        }
        if (burst <= 0) {
            throw new IllegalArgumentException("burst must be positive, got " + burst);
        }
    }

    /** Time for one token to come back, at least one unit. */
    static long interval(double rps, long scale) {
        double units = scale / rps;
        return units >= (double) MAX_INTERVAL_SECONDS * scale ? MAX_INTERVAL_SECONDS * scale
                : Math.max(1, Math.round(units));
    }

    /** How far ahead of now a bucket's full time may be: {@code burst} tokens' worth, kept below overflow. */
    static long tolerance(long interval, int burst) {
        return interval > Long.MAX_VALUE / 8 / burst ? Long.MAX_VALUE / 8 : interval * burst;
    }
}
