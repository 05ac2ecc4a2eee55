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
 * other acts in none and holds no team permission. The role is the member's current one in the store, not
 * the one in the token, so a removed or demoted member loses access within {@link #CACHE_FOR} rather than
 * when the token expires; likewise a logged-out or revoked session.
 */
public final class SessionAuthenticator implements Authenticator {

    static final Duration CACHE_FOR = Duration.ofSeconds(1);
    private static final int CACHE_MAX = 10_000;

    private final SessionTokens tokens;
    private final SessionStore sessions;
    private final Clock clock;
    private final TeamStore teams;
    private final ConcurrentHashMap<String, Long> activeUntil = new ConcurrentHashMap<>();

    /** A member's role looked up less than {@link #CACHE_FOR} ago; null role: no longer a member. */
    private record Standing(Role role, long until) {
    }

    private final ConcurrentHashMap<String, Standing> standings = new ConcurrentHashMap<>();
    /**
     * Tokens already verified, by their exact text: a client sends one token many times, and parsing and the
     * HMAC were most of a session request's auth cost. A different (or altered) token is another key.
     */
    private final ConcurrentHashMap<String, AccessClaims> verified = new ConcurrentHashMap<>();

    public SessionAuthenticator(SessionTokens tokens, SessionStore sessions, TeamStore teams, Clock clock) {
        this.tokens = tokens;
        this.sessions = sessions;
        this.teams = teams;
        this.clock = clock;
    }

    @Override
    public Principal authenticate(String authorization, String teamHeader) {
        AccessClaims claims = verify(BearerAuthenticator.token(authorization));
        if (!active(claims.sessionId())) {
            throw new AuthenticationFailure("session has ended: log in again");
        }
        String selected = teamHeader == null ? "" : teamHeader.strip();
        TeamGrant grant = null;
        if (!selected.isEmpty()) {
            grant = claims.grant(selected).orElseThrow(() -> new AuthenticationFailure("not a member of selected team"));
        } else if (claims.grants().size() == 1) {
            grant = claims.grants().getFirst();
        }
        if (grant == null) {
            return new Principal(null, claims.userId(), null, claims.sessionId(), Set.of(), claims.systemAdmin());
        }
        Role role = currentRole(grant.teamId(), claims.userId());
        if (role == null) {
            if (!selected.isEmpty()) {
                throw new AuthenticationFailure("not a member of selected team");
            }
            return new Principal(null, claims.userId(), null, claims.sessionId(), Set.of(), claims.systemAdmin());
        }
        return new Principal(grant.teamId(), claims.userId(), null, claims.sessionId(), Set.of(role),
                claims.systemAdmin());
    }

    private Role currentRole(String teamId, String userId) {
        String key = teamId + "/" + userId;
        long now = System.nanoTime();
        Standing known = standings.get(key);
        if (known != null && now - known.until() < 0) {
            return known.role();
        }
        Role role = teams.member(teamId, userId).map(Membership::role).orElse(null);
        if (standings.size() >= CACHE_MAX) {
            standings.clear();
        }
        standings.put(key, new Standing(role, now + CACHE_FOR.toNanos()));
        return role;
    }

    private AccessClaims verify(String token) {
        AccessClaims known = verified.get(token);
        if (known != null) {
            if (clock.instant().isBefore(known.expiresAt())) {
                return known;
            }
            verified.remove(token);
        }
        AccessClaims claims = tokens.verifyAccess(token);
        if (verified.size() >= CACHE_MAX) {
            verified.clear();
        }
        verified.put(token, claims);
        return claims;
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
