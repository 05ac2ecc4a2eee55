package ai.sandbox0.server.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.sandbox0.server.service.RateLimiter.Allowed;
import ai.sandbox0.server.service.RateLimiter.Decision;
import ai.sandbox0.server.service.RateLimiter.Refused;
import java.time.Duration;
import java.util.ArrayList;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * What a route's rate limit does, whichever backend keeps the buckets. Rates are chosen so that the
 * assertions hold however slowly a busy machine runs the test: counts and bounds, never exact times.
 */
abstract class RateLimiterContract {

    abstract RateLimiter limiter();

    static String freshKey() {
        return RateLimiter.key("team-" + UUID.randomUUID(), "sb-1", "web", "api");
    }

    @Test
    void aBurstPassesThenRequestsAreRefusedUntilATokenIsBack() {
        String key = freshKey();
        // One token per 5 s: none comes back while the burst is taken.
        var decisions = new ArrayList<Decision>();
        for (int i = 0; i < 8; i++) {
            decisions.add(limiter().acquire(key, 0.2, 5));
        }
        assertThat(decisions.subList(0, 5)).allMatch(Allowed.class::isInstance);
        assertThat(decisions.subList(5, 8)).allMatch(Refused.class::isInstance);
        Refused refused = (Refused) decisions.get(5);
        assertThat(refused.retryAfter()).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(5));
        assertThat(refused.retryAfterSeconds()).isBetween(1L, 5L);
    }

    @Test
    void tokensComeBackAtAFractionalRate() throws Exception {
        String key = freshKey();
        assertThat(limiter().acquire(key, 1.25, 1)).isInstanceOf(Allowed.class);
        for (int i = 0; i < 2; i++) {
            var refused = (Refused) limiter().acquire(key, 1.25, 1);
            // A token every 0.8 s: the wait is at most that, and Retry-After rounds it up to one second.
            assertThat(refused.retryAfter()).isPositive().isLessThanOrEqualTo(Duration.ofMillis(800));
            assertThat(refused.retryAfterSeconds()).isEqualTo(1);
            // Waiting as long as it says is enough, however late the wake-up.
            Thread.sleep(refused.retryAfter().plusMillis(20));
            assertThat(limiter().acquire(key, 1.25, 1)).isInstanceOf(Allowed.class);
        }

        // Polling for a while, no more passes than the burst and the rate allow.
        String other = freshKey();
        long start = System.nanoTime();
        int allowed = 0;
        while (System.nanoTime() - start < Duration.ofMillis(1600).toNanos()) {
            if (limiter().acquire(other, 2.5, 1) instanceof Allowed) {
                allowed++;
            }
            Thread.sleep(20);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        assertThat(allowed).isGreaterThanOrEqualTo(2).isLessThanOrEqualTo(1 + (int) Math.ceil(2.5 * seconds));
    }

    @Test
    void keysHaveBucketsOfTheirOwn() {
        String a = freshKey();
        String b = freshKey();
        assertThat(limiter().acquire(a, 0.1, 1)).isInstanceOf(Allowed.class);
        assertThat(limiter().acquire(a, 0.1, 1)).isInstanceOf(Refused.class);
        assertThat(limiter().acquire(b, 0.1, 1)).isInstanceOf(Allowed.class);
        assertThat(limiter().acquire(RateLimiter.key("t", "sb-1", "web", "api"), 0.1, 1)).isInstanceOf(Allowed.class);
        assertThat(limiter().acquire(RateLimiter.key("t", "sb-1", "web", "other"), 0.1, 1)).isInstanceOf(Allowed.class);
        assertThat(limiter().acquire(RateLimiter.key("t", "sb-2", "web", "api"), 0.1, 1)).isInstanceOf(Allowed.class);
    }

    @Test
    void concurrentRequestsNeverTakeMoreThanTheBurst() throws Exception {
        String key = freshKey();
        var allowed = new AtomicInteger();
        var tasks = new ArrayList<Callable<Void>>();
        for (int t = 0; t < 8; t++) {
            tasks.add(() -> {
                for (int i = 0; i < 25; i++) {
                    if (limiter().acquire(key, 0.01, 30) instanceof Allowed) {
                        allowed.incrementAndGet();
                    }
                }
                return null;
            });
        }
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (var f : pool.invokeAll(tasks)) {
                f.get();
            }
        }
        assertThat(allowed.get()).isEqualTo(30);
    }

    @Test
    void aLimitThatChangesAppliesToTheSameBucket() {
        String key = freshKey();
        assertThat(limiter().acquire(key, 0.1, 2)).isInstanceOf(Allowed.class);
        assertThat(limiter().acquire(key, 0.1, 2)).isInstanceOf(Allowed.class);
        assertThat(limiter().acquire(key, 0.1, 2)).isInstanceOf(Refused.class);
        // A larger burst leaves room for more at once.
        assertThat(limiter().acquire(key, 0.1, 3)).isInstanceOf(Allowed.class);
        assertThat(limiter().acquire(key, 0.1, 3)).isInstanceOf(Refused.class);
    }

    @Test
    void parametersOutsideTheirRangeAreRefused() {
        assertThatThrownBy(() -> limiter().acquire(freshKey(), 0, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rps");
        assertThatThrownBy(() -> limiter().acquire(freshKey(), Double.NaN, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> limiter().acquire(freshKey(), 1, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("burst");
        // A very slow rate is still a rate.
        assertThat(limiter().acquire(freshKey(), 1e-12, 1)).isInstanceOf(Allowed.class);
    }
}
