package ai.sandbox0.server.tenancy;

import ai.sandbox0.server.auth.AuthenticationFailure;
import ai.sandbox0.server.auth.Authenticator;
import ai.sandbox0.server.auth.BearerAuthenticator;
import ai.sandbox0.server.auth.Principal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code Authorization: Bearer <token>}: tokens with the {@code s0_} prefix are API keys looked up by
 * digest; anything else would be a user session (JWT), which the tenancy work adds behind this seam.
 */
public final class ApiKeyAuthenticator implements Authenticator {

    /** How long a looked-up key is reused: bounds how late a change to it is seen by requests. */
    static final Duration CACHE_FOR = Duration.ofSeconds(1);
    private static final int CACHE_MAX = 10_000;

    private record Cached(ApiKey key, long until) {
    }

    private final ApiKeyStore keys;
    private final ApiKeyUsage usage;
    private final Clock clock;
    private final ConcurrentHashMap<String, Cached> recent = new ConcurrentHashMap<>();

    public ApiKeyAuthenticator(ApiKeyStore keys, ApiKeyUsage usage, Clock clock) {
        this.keys = keys;
        this.usage = usage;
        this.clock = clock;
    }

    @Override
    public Principal authenticate(String authorization, String teamHeader) {
        String token = bearerToken(authorization);
        if (!ApiKeyToken.isApiKey(token)) {
            throw new AuthenticationFailure("invalid or expired token");
        }
        if (!ApiKeyToken.isWellFormed(token)) {
            throw new AuthenticationFailure("invalid api key");
        }
        ApiKey key = lookUp(ApiKeyToken.digest(token));
        if (!key.active()) {
            throw new AuthenticationFailure("api key is deactivated");
        }
        Instant now = clock.instant();
        if (key.expiredAt(now)) {
            throw new AuthenticationFailure("api key has expired");
        }
        boolean platform = key.scope() == ApiKeyScope.PLATFORM;
        String team = key.teamId();
        if (teamHeader != null && !teamHeader.isBlank() && !teamHeader.trim().equals(team)) {
            if (!platform) {
                throw new AuthenticationFailure("x-team-id does not match the api key's team");
            }
            team = teamHeader.trim();
        }
        usage.record(key.id(), now);
        return new Principal(team, key.userId(), key.id(), null, new HashSet<>(key.roles()), platform);
    }

    /**
     * Drops what is remembered of the key (this server just deleted or deactivated it), so its next
     * request is refused at once rather than within {@link #CACHE_FOR}.
     */
    public void forget(String keyId) {
        recent.values().removeIf(cached -> cached.key().id().equals(keyId));
    }

    /**
     * The key with this digest, from the store or from a lookup less than {@link #CACHE_FOR} ago: every
     * API request authenticates, and under load the store read was most of the gateway's latency tail.
     * Unknown digests are not remembered (a flood of wrong keys cannot fill the map).
     */
    private ApiKey lookUp(String digest) {
        long now = System.nanoTime();
        Cached cached = recent.get(digest);
        if (cached != null && now - cached.until() < 0) {
            return cached.key();
        }
        ApiKey key = keys.findByDigest(digest).orElseThrow(() -> new AuthenticationFailure("invalid api key"));
        if (recent.size() >= CACHE_MAX) {
            recent.clear();
        }
        recent.put(digest, new Cached(key, now + CACHE_FOR.toNanos()));
        return key;
    }

    static String bearerToken(String authorization) {
        return BearerAuthenticator.token(authorization);
    }
}
