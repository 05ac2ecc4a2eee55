package ai.sandbox0.server.identity.oidc;

import ai.sandbox0.server.auth.AuthenticationFailure;
import ai.sandbox0.server.domain.DomainException;
import ai.sandbox0.server.http.ApiException;
import ai.sandbox0.server.identity.Registrations;
import ai.sandbox0.server.identity.UserAccount;
import ai.sandbox0.server.identity.UserStore;
import java.net.URI;
import java.time.Clock;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The user an OIDC login is for, as upstream finds it: the user the (provider, subject) is linked to; else
 * the user with the token's email, whom the identity is then linked to (how an admin created ahead of time,
 * such as the first admin, binds their provider account); else, when the provider auto-provisions, a new
 * user with a team of their own, as self-registration makes one. Anyone else is refused.
 */
public final class OidcAccounts {

    private static final Logger LOG = LoggerFactory.getLogger(OidcAccounts.class);

    /** Thrown inside a registration whose identity another login linked first: the registration is undone. */
    private static final class LinkedMeanwhile extends RuntimeException {
        LinkedMeanwhile() {
            super(null, null, false, false);
        }
    }

    private final UserStore users;
    private final IdentityStore identities;
    private final Registrations registrations;
    private final Clock clock;

    public OidcAccounts(UserStore users, IdentityStore identities, Registrations registrations, Clock clock) {
        this.users = users;
        this.identities = identities;
        this.registrations = registrations;
        this.clock = clock;
    }

    /** @param autoProvision whether an unknown email gets a new account */
    public UserAccount accountFor(ExternalIdentity who, boolean autoProvision) {
        try {
            return find(who, autoProvision);
        } catch (LinkedMeanwhile | DomainException.Conflict e) {
            // A concurrent first login of the same person won the race: theirs is the account.
            return find(who, false);
        }
    }

    private UserAccount find(ExternalIdentity who, boolean autoProvision) {
        Optional<LinkedIdentity> linked = identities.find(who.provider(), who.subject());
        if (linked.isPresent()) {
            return users.findById(linked.get().userId()).orElseThrow(() -> new AuthenticationFailure("user not found"));
        }
        if (who.email() == null || !who.email().contains("@")) {
            throw ApiException.unauthorized("email not provided by IdP: the provider must release the email claim"
                    + " (scope email) to this client");
        }
        Optional<UserAccount> existing = users.findByEmail(who.email());
        if (existing.isPresent()) {
            // Linking by email trusts the provider's word for it; one that says it has not checked is not taken.
            if (Boolean.FALSE.equals(who.emailVerified())) {
                throw ApiException.forbidden("the provider has not verified the email " + who.email()
                        + ": verify it there, then log in again");
            }
            UserAccount user = existing.get();
            if (!identities.insert(identity(user.id(), who))) {
                throw new LinkedMeanwhile();
            }
            LOG.info("linked {} identity to user {}", who.provider(), user.id());
            return user;
        }
        if (!autoProvision) {
            throw ApiException.forbidden("no account for " + who.email() + ": this installation does not create"
                    + " accounts on OIDC login; ask an administrator to create one first");
        }
        UserAccount user = registrations.register(who.email(), displayName(who), avatar(who.picture()),
                Boolean.TRUE.equals(who.emailVerified()), null, (h, created) -> {
                    if (!identities.insert(h, identity(created.id(), who))) {
                        throw new LinkedMeanwhile();
                    }
                });
        LOG.info("created user {} on first {} login", user.id(), who.provider());
        return user;
    }

    private LinkedIdentity identity(String userId, ExternalIdentity who) {
        return new LinkedIdentity(UUID.randomUUID().toString(), userId, who.provider(), who.subject(),
                who.email() == null ? null : UserStore.normalizeEmail(who.email()), clock.instant());
    }

    private static String displayName(ExternalIdentity who) {
        String name = who.name() != null ? who.name() : who.email().substring(0, who.email().indexOf('@'));
        return name.length() > 255 ? name.substring(0, 255) : name;
    }

    private static String avatar(String picture) {
        if (picture == null || picture.length() > 2048) {
            return null;
        }
        try {
            URI uri = new URI(picture);
            return ("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) && uri.getHost() != null
                    ? picture : null;
        } catch (java.net.URISyntaxException e) {
            return null;
        }
    }
}
