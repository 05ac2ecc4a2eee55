package ai.sandbox0.server.identity;

import ai.sandbox0.server.auth.AuthenticationFailure;
import ai.sandbox0.server.auth.Authenticator;
import ai.sandbox0.server.auth.BearerAuthenticator;
import ai.sandbox0.server.auth.Principal;
import ai.sandbox0.server.auth.Role;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Access tokens of user sessions. The team is chosen as upstream does: {@code X-Team-ID} must be one of
 * the token's grants (else 401); without the header a token with exactly one grant acts in that team, any
 * other acts in none and holds no team permission. A logged-out or revoked session stops working within
 * {@link #CACHE_FOR}.
 */
public final class SessionAuthenticator implements Authenticator {

    static final Duration CACHE_FOR = Duration.ofSeconds(1);
    private static final int CACHE_MAX = 10_000;

    private final SessionTokens tokens;
    private final SessionStore sessions;
    private final Clock clock;
    private final ConcurrentHashMap<String, Long> activeUntil = new ConcurrentHashMap<>();

    public SessionAuthenticator(SessionTokens tokens, SessionStore sessions, Clock clock) {
        this.tokens = tokens;
        this.sessions = sessions;
        this.clock = clock;
    }

    @Override
    public Principal authenticate(String authorization, String teamHeader) {
        AccessClaims claims = tokens.verifyAccess(BearerAuthenticator.token(authorization));
        if (!active(claims.sessionId())) {
            throw new AuthenticationFailure("session has ended: log in again");
        }
        String team = null;
        Set<Role> roles = Set.of();
        String selected = teamHeader == null ? "" : teamHeader.strip();
        if (!selected.isEmpty()) {
            TeamGrant grant = claims.grant(selected)
                    .orElseThrow(() -> new AuthenticationFailure("not a member of selected team"));
            team = grant.teamId();
            roles = Set.of(grant.role());
        } else if (claims.grants().size() == 1) {
            TeamGrant grant = claims.grants().getFirst();
            team = grant.teamId();
            roles = Set.of(grant.role());
        }
        return new Principal(team, claims.userId(), null, claims.sessionId(), roles, claims.systemAdmin());
    }

    /** Forget what is known about a session at once (this server ended it). */
    public void forget(String sessionId) {
        activeUntil.remove(sessionId);
    }

    private boolean active(String sessionId) {
        long now = System.nanoTime();
        Long until = activeUntil.get(sessionId);
        if (until != null && now - until < 0) {
            return true;
        }
        if (!sessions.active(sessionId, clock.instant())) {
            activeUntil.remove(sessionId);
            return false;
        }
        if (activeUntil.size() >= CACHE_MAX) {
            activeUntil.clear();
        }
        activeUntil.put(sessionId, now + CACHE_FOR.toNanos());
        return true;
    }
}
