package ai.sandbox0.server.identity.oidc;

/**
 * Who a provider's verified ID token says logged in. {@code emailVerified} is null when the provider does
 * not say.
 */
public record ExternalIdentity(String provider, String subject, String email, Boolean emailVerified, String name,
        String picture) {
}
