package ai.sandbox0.server.auth;

/**
 * {@code Authorization: Bearer <token>}: tokens with the {@code s0_} prefix are API keys, anything else a
 * user session's access token (upstream's rule), each checked by its own authenticator.
 */
public final class BearerAuthenticator implements Authenticator {

    private final Authenticator apiKeys;
    private final Authenticator sessions;

    public BearerAuthenticator(Authenticator apiKeys, Authenticator sessions) {
        this.apiKeys = apiKeys;
        this.sessions = sessions;
    }

    @Override
    public Principal authenticate(String authorization, String teamHeader) {
        String token = token(authorization);
        return token.startsWith("s0_") ? apiKeys.authenticate(authorization, teamHeader)
                : sessions.authenticate(authorization, teamHeader);
    }

    /** The token of a well-formed bearer header, else an {@link AuthenticationFailure} saying what is wrong. */
    public static String token(String authorization) {
        if (authorization == null || authorization.isBlank()) {
            throw new AuthenticationFailure("missing authorization header");
        }
        String value = authorization.trim();
        int space = value.indexOf(' ');
        if (space < 0 || !value.substring(0, space).equalsIgnoreCase("Bearer")) {
            throw new AuthenticationFailure("invalid authorization header format");
        }
        String token = value.substring(space + 1).trim();
        if (token.isEmpty() || token.indexOf(' ') >= 0) {
            throw new AuthenticationFailure("invalid authorization header format");
        }
        return token;
    }
}
