package ai.sandbox0.server.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

class LoginThrottleTest {

    /** A clock the test moves. */
    private static final class Hands extends Clock {
        Instant now = Instant.parse("2026-12-07T10:00:00Z");

        @Override
        public ZoneId getZone() {
            return ZoneId.of("UTC");
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void failuresForOneAccountLockItUntilTheOldestLeavesTheWindow() {
        var clock = new Hands();
        var throttle = new LoginThrottle(30, 3, Duration.ofMinutes(5), clock);
        for (int i = 0; i < 3; i++) {
            assertThat(throttle.admit("10.0.0." + i, "ada")).isEmpty();
            throttle.failed("10.0.0." + i, "ada");
            clock.now = clock.now.plusSeconds(60);
        }
        // From any address: the account is what is being guessed.
        assertThat(throttle.admit("10.9.9.9", "ada")).contains(Duration.ofMinutes(2));
        assertThat(throttle.admit("10.9.9.9", "bob")).isEmpty();
        clock.now = clock.now.plusSeconds(120);
        assertThat(throttle.admit("10.9.9.9", "ada")).isEmpty();
    }

    @Test
    void failuresFromOneAddressAcrossAccountsLockTheAddress() {
        var clock = new Hands();
        var throttle = new LoginThrottle(5, 3, Duration.ofMinutes(5), clock);
        for (int i = 0; i < 5; i++) {
            throttle.failed("10.0.0.1", "user" + i);
        }
        assertThat(throttle.admit("10.0.0.1", "someone-else")).isPresent();
        assertThat(throttle.admit("10.0.0.2", "someone-else")).isEmpty();
    }

    @Test
    void successfulLoginsAreNotLimitedAndClearTheAccount() {
        var clock = new Hands();
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
