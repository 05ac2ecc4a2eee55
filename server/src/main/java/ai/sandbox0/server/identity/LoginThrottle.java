package ai.sandbox0.server.identity;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bounds password guessing: at most {@code perAddress} failed attempts per client address (guessing across
 * accounts) and {@code perAccount} per account (guessing one password, from anywhere) within {@code window}.
 * Beyond either, attempts are refused before any password is checked (the hash is the expensive part) until
 * the oldest failure leaves the window. Successful logins are not limited.
 * In memory: a restart forgets, which only gives an attacker one more window.
 */
public final class LoginThrottle {

    private static final int MAX_KEYS = 100_000;

    private final int perAddress;
    private final int perAccount;
    private final Duration window;
    private final Clock clock;
    private final ConcurrentHashMap<String, ArrayDeque<Long>> attempts = new ConcurrentHashMap<>();

    public LoginThrottle(int perAddress, int perAccount, Duration window, Clock clock) {
        this.perAddress = perAddress;
        this.perAccount = perAccount;
        this.window = window;
        this.clock = clock;
    }

    public static LoginThrottle defaults(Clock clock) {
        return new LoginThrottle(30, 10, Duration.ofMinutes(5), clock);
    }

    /** Empty when an attempt from {@code address} for {@code account} may go ahead, else how long until it may. */
    public Optional<Duration> admit(String address, String account) {
        long now = clock.millis();
        Optional<Duration> wait = waitFor("a:" + account, perAccount, now);
        return wait.isPresent() ? wait : waitFor("ip:" + address, perAddress, now);
    }

    /** A wrong password for {@code account} from {@code address}: counts towards both limits. */
    public void failed(String address, String account) {
        long now = clock.millis();
        record("a:" + account, now);
        record("ip:" + address, now);
    }

    /** A successful login clears the account's failures. */
    public void succeeded(String account) {
        attempts.remove("a:" + account);
    }

    private Optional<Duration> waitFor(String key, int limit, long now) {
        ArrayDeque<Long> times = attempts.get(key);
        if (times == null) {
            return Optional.empty();
        }
        synchronized (times) {
            expire(times, now);
            return times.size() >= limit ? Optional.of(retryAfter(times, now)) : Optional.empty();
        }
    }

    private void record(String key, long now) {
        if (attempts.size() >= MAX_KEYS) {
            attempts.clear();
        }
        ArrayDeque<Long> times = attempts.computeIfAbsent(key, k -> new ArrayDeque<>());
        synchronized (times) {
            expire(times, now);
            times.addLast(now);
        }
    }

    private void expire(ArrayDeque<Long> times, long now) {
        while (!times.isEmpty() && times.peekFirst() <= now - window.toMillis()) {
            times.pollFirst();
        }
    }

    private Duration retryAfter(ArrayDeque<Long> times, long now) {
        long wait = times.peekFirst() + window.toMillis() - now;
        return Duration.ofMillis(Math.max(1000, wait));
    }
}
