package ai.sandbox0.server.auth;

/** The credential is missing, malformed, unknown, expired or deactivated: always a 401. */
public final class AuthenticationFailure extends RuntimeException {

    public AuthenticationFailure(String message) {
        super(message, null, false, false);
    }
}
