package ai.sandbox0.server.identity.oidc;

import ai.sandbox0.server.http.ApiException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Browser logins between the redirect to the provider and its callback, by their random {@code state}.
 * A state works once, for {@link #TTL}, and only with what it was made for (provider, nonce, PKCE verifier,
 * return URL). Kept in memory, as upstream does: a restart only means starting the login again.
 */
final class LoginStates {

    /** Upstream's default state lifetime. */
    static final Duration TTL = Duration.ofMinutes(10);
    private static final int MAX_PENDING = 10_000;

    /** What a callback needs to finish the login it belongs to. */
    record Pending(String provider, String nonce, String codeVerifier, String returnUrl, boolean webLogin,
            Instant expiresAt) {

        @Override
        public String toString() {
            return "Pending[provider=" + provider + ", webLogin=" + webLogin + ", expiresAt=" + expiresAt + "]";
        }
    }

    private final ConcurrentHashMap<String, Pending> pending = new ConcurrentHashMap<>();
    private final Clock clock;
    private final SecureRandom random;

    LoginStates(Clock clock, SecureRandom random) {
        this.clock = clock;
        this.random = random;
    }

    String randomValue() {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    Instant expiry() {
        return clock.instant().plus(TTL);
    }

    /** Records a login and returns its state. */
    String start(Pending login) {
        if (pending.size() >= MAX_PENDING) {
            Instant now = clock.instant();
            pending.values().removeIf(p -> !p.expiresAt().isAfter(now));
            if (pending.size() >= MAX_PENDING) {
                throw ApiException.unavailable("too many logins in progress: try again in a few minutes");
            }
        }
        String state = randomValue();
        pending.put(state, login);
        return state;
    }

    /** The login of {@code state}, which stops working; empty when unknown, used or expired. */
    Optional<Pending> take(String state) {
        Pending login = pending.remove(state);
        if (login == null || !login.expiresAt().isAfter(clock.instant())) {
            return Optional.empty();
        }
        return Optional.of(login);
    }
}
