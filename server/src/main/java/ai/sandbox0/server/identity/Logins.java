package ai.sandbox0.server.identity;

import ai.sandbox0.api.auth.LoginResponse;
import ai.sandbox0.server.auth.AuthenticationFailure;
import ai.sandbox0.server.auth.TokenDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;

/**
 * Starts, refreshes and ends user sessions: every way of logging in (password, registration, OIDC) ends
 * here, so tokens are issued and recorded one way.
 */
public final class Logins {

    private final UserStore users;
    private final SessionStore sessions;
    private final SessionTokens tokens;
    private final SessionAuthenticator authenticator;
    private final Clock clock;
    private final SecureRandom random;

    public Logins(UserStore users, SessionStore sessions, SessionTokens tokens, SessionAuthenticator authenticator,
            Clock clock, SecureRandom random) {
        this.users = users;
        this.sessions = sessions;
        this.tokens = tokens;
        this.authenticator = authenticator;
        this.clock = clock;
        this.random = random;
    }

    /** A new session for {@code user}, with their current teams in the access token. */
    public LoginResponse start(UserAccount user) {
        byte[] id = new byte[24];
        random.nextBytes(id);
        String sessionId = Base64.getUrlEncoder().withoutPadding().encodeToString(id);
        SessionTokens.Pair pair = tokens.issue(sessionId, user, users.grants(user.id()));
        sessions.create(sessionId, user.id(), TokenDigest.of(pair.refreshToken()), clock.instant(),
                pair.refreshExpiresAt());
        return response(pair, user);
    }

    /**
     * New tokens for the session of {@code refreshToken}, which stops working; teams are read again, so a
     * new membership shows in the new access token. A refresh token used twice ends its session.
     */
    public LoginResponse refresh(String refreshToken) {
        SessionTokens.Refresh presented = tokens.verifyRefresh(refreshToken);
        UserAccount user = users.findById(presented.userId())
                .orElseThrow(() -> new AuthenticationFailure("user not found"));
        SessionTokens.Pair pair = tokens.issue(presented.sessionId(), user, users.grants(user.id()));
        Instant now = clock.instant();
        return switch (sessions.rotate(presented.sessionId(), user.id(), TokenDigest.of(refreshToken),
                TokenDigest.of(pair.refreshToken()), now, pair.refreshExpiresAt())) {
            case ROTATED -> response(pair, user);
            case REUSED -> {
                authenticator.forget(presented.sessionId());
                throw new AuthenticationFailure("invalid refresh token: it was already used, so this session has"
                        + " ended; log in again");
            }
            case INVALID -> throw new AuthenticationFailure("invalid refresh token");
        };
    }

    /** Ends one session: its refresh token and its access tokens stop working. */
    public void end(String sessionId) {
        sessions.revoke(sessionId, clock.instant());
        authenticator.forget(sessionId);
    }

    /** Ends every other session of the user (after a password change). */
    public void endOthers(String userId, String keepSessionId) {
        sessions.revokeAllOf(userId, keepSessionId, clock.instant());
    }

    private static LoginResponse response(SessionTokens.Pair pair, UserAccount user) {
        return new LoginResponse(pair.accessToken(), pair.refreshToken(), pair.accessExpiresAt().getEpochSecond(),
                user.view());
    }
}
