package ai.sandbox0.server.identity;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.server.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class LoginThrottleTest {

    @Test
    void failuresForOneAccountLockItUntilTheOldestLeavesTheWindow() {
        var clock = new MutableClock(Instant.parse("2026-12-07T10:00:00Z"));
        var throttle = new LoginThrottle(30, 3, Duration.ofMinutes(5), clock);
        for (int i = 0; i < 3; i++) {
            assertThat(throttle.admit("10.0.0." + i, "ada")).isEmpty();
            throttle.failed("10.0.0." + i, "ada");
            clock.advance(Duration.ofSeconds(60));
        }
        // From any address: the account is what is being guessed.
        assertThat(throttle.admit("10.9.9.9", "ada")).contains(Duration.ofMinutes(2));
        assertThat(throttle.admit("10.9.9.9", "bob")).isEmpty();
        clock.advance(Duration.ofSeconds(120));
        assertThat(throttle.admit("10.9.9.9", "ada")).isEmpty();
    }

    @Test
    void failuresFromOneAddressAcrossAccountsLockTheAddress() {
        var clock = new MutableClock(Instant.parse("2026-12-07T10:00:00Z"));
        var throttle = new LoginThrottle(5, 3, Duration.ofMinutes(5), clock);
        for (int i = 0; i < 5; i++) {
            throttle.failed("10.0.0.1", "user" + i);
        }
        assertThat(throttle.admit("10.0.0.1", "someone-else")).isPresent();
        assertThat(throttle.admit("10.0.0.2", "someone-else")).isEmpty();
    }

    @Test
    void successfulLoginsAreNotLimitedAndClearTheAccount() {
        var clock = new MutableClock(Instant.parse("2026-12-07T10:00:00Z"));
        var throttle = new LoginThrottle(5, 3, Duration.ofMinutes(5), clock);
        for (int i = 0; i < 100; i++) {
            assertThat(throttle.admit("10.0.0.1", "ada")).isEmpty();
            throttle.succeeded("ada");
        }
        throttle.failed("10.0.0.1", "ada");
        throttle.failed("10.0.0.1", "ada");
        throttle.succeeded("ada");
        throttle.failed("10.0.0.1", "ada");
        assertThat(throttle.admit("10.0.0.2", "ada")).isEmpty();
    }
}
