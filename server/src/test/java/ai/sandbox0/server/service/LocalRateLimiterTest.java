package ai.sandbox0.server.service;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.server.service.RateLimiter.Allowed;
import ai.sandbox0.server.service.RateLimiter.Refused;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LocalRateLimiterTest extends RateLimiterContract {

    private final LocalRateLimiter limiter = new LocalRateLimiter();

    @Override
    RateLimiter limiter() {
        return limiter;
    }

    @AfterEach
    void close() {
        limiter.close();
    }

    @Test
    void bucketsThatRefilledAreForgotten() {
        var now = new AtomicLong(1_000_000_000L);
        var local = new LocalRateLimiter(now::get, Duration.ofSeconds(10));
        for (int i = 0; i < 1000; i++) {
            assertThat(local.acquire("route-" + i, 10, 5)).isInstanceOf(Allowed.class);
        }
        // One that refills slowly: still partly empty at the sweep.
        local.acquire("slow", 0.001, 1);
        assertThat(local.buckets()).isEqualTo(1001);

        now.addAndGet(Duration.ofSeconds(11).toNanos());
        local.acquire("route-0", 10, 5);
        assertThat(local.buckets()).isEqualTo(2);
        // A forgotten bucket is a full one: the whole burst again.
        for (int i = 0; i < 5; i++) {
            assertThat(local.acquire("route-1", 10, 5)).isInstanceOf(Allowed.class);
        }
        assertThat(local.acquire("route-1", 10, 5)).isInstanceOf(Refused.class);
        assertThat(local.acquire("slow", 0.001, 1)).isInstanceOf(Refused.class);
    }

    @Test
    void theWaitIsTheTimeUntilOneTokenIsBack() {
        var now = new AtomicLong();
        var local = new LocalRateLimiter(now::get, Duration.ofSeconds(10));
        local.acquire("k", 0.5, 2);
        local.acquire("k", 0.5, 2);
        var refused = (Refused) local.acquire("k", 0.5, 2);
        assertThat(refused.retryAfter()).isEqualTo(Duration.ofSeconds(2));
        assertThat(refused.retryAfterSeconds()).isEqualTo(2);
        now.addAndGet(Duration.ofMillis(1500).toNanos());
        refused = (Refused) local.acquire("k", 0.5, 2);
        assertThat(refused.retryAfter()).isEqualTo(Duration.ofMillis(500));
        assertThat(refused.retryAfterSeconds()).isEqualTo(1);
        now.addAndGet(Duration.ofMillis(500).toNanos());
        assertThat(local.acquire("k", 0.5, 2)).isInstanceOf(Allowed.class);
    }

    @Test
    void retryAfterIsWholeSecondsRoundedUpAndAtLeastOne() {
        assertThat(new Refused(Duration.ofMillis(1)).retryAfterSeconds()).isEqualTo(1);
        assertThat(new Refused(Duration.ofSeconds(1)).retryAfterSeconds()).isEqualTo(1);
        assertThat(new Refused(Duration.ofMillis(1001)).retryAfterSeconds()).isEqualTo(2);
        assertThat(new Refused(Duration.ZERO).retryAfterSeconds()).isEqualTo(1);
    }
}
