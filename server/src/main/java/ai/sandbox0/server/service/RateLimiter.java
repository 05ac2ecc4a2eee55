package ai.sandbox0.server.service;

import java.time.Duration;
import java.util.Objects;

/**
 * The token buckets of public service routes (spec §7.4 step 7): {@code burst} tokens at most, refilled at
 * {@code rps} per second, one taken per request. Buckets live in this process ({@link LocalRateLimiter}) or in
 * Redis, shared by every server on it ({@link RedisRateLimiter}).
 */
public sealed interface RateLimiter extends AutoCloseable permits LocalRateLimiter, RedisRateLimiter {

    /**
     * Takes one token from {@code key}'s bucket. A bucket's parameters are those of the latest call, so a
     * route whose limit changed keeps its key.
     *
     * @param rps tokens added per second, {@code > 0}, may be fractional
     * @param burst the bucket's size, {@code > 0}
     */
    Decision acquire(String key, double rps, int burst);

    /** The key of a route's bucket; a route's limit applies to each sandbox (and team) separately. */
    static String key(String team, String sandbox, String service, String route) {
        // Sandbox, service and route ids are DNS labels and team ids have no '/': keys cannot collide.
        return Objects.requireNonNull(team, "team") + "/" + Objects.requireNonNull(sandbox, "sandbox") + "/"
                + Objects.requireNonNull(service, "service") + "/" + Objects.requireNonNull(route, "route");
    }

    /** Buckets in Redis at {@code redisUrl} ({@code redis://} or {@code rediss://}), or in memory when it is null. */
    static RateLimiter open(String redisUrl) {
        return redisUrl == null ? new LocalRateLimiter() : new RedisRateLimiter(redisUrl);
    }

    /** What the router does with a request: pass it, refuse it with 429, or answer 503. */
    sealed interface Decision {
    }

    /** A token was taken. */
    record Allowed() implements Decision {
        static final Allowed INSTANCE = new Allowed();
    }

    /** The bucket is empty; one token is back after {@code retryAfter}. */
    record Refused(Duration retryAfter) implements Decision {

        public Refused {
            Objects.requireNonNull(retryAfter, "retryAfter");
        }

        /** {@code Retry-After}: whole seconds, rounded up, at least 1. */
        public long retryAfterSeconds() {
            long seconds = retryAfter.toSeconds();
            return Math.max(1, retryAfter.toNanosPart() > 0 ? seconds + 1 : seconds);
        }
    }

    /** The buckets cannot be reached (Redis down or too slow): neither pass nor count the request. */
    record Unavailable(String reason) implements Decision {
    }

    /** Releases connections; a closed limiter must not be used. */
    @Override
    void close();
}
