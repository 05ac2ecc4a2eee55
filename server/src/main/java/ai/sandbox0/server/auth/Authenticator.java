package ai.sandbox0.server.auth;

/**
 * Turns the {@code Authorization} and {@code X-Team-ID} headers into a {@link Principal}, or throws
 * {@link AuthenticationFailure}. Messages never contain the presented credential.
 */
@FunctionalInterface
public interface Authenticator {

    Principal authenticate(String authorization, String teamHeader);
}
