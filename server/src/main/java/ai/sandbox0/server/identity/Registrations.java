package ai.sandbox0.server.identity;

import ai.sandbox0.server.auth.Role;
import java.time.Clock;
import java.time.Instant;
import java.util.Locale;
import java.util.UUID;
import java.util.function.BiConsumer;
import org.jdbi.v3.core.Handle;

/** New users by self-registration (when the installation allows it): each gets a team of their own. */
public final class Registrations {

    private final boolean open;
    private final String region;
    private final UserStore users;
    private final TeamStore teams;
    private final Clock clock;

    public Registrations(boolean open, String region, UserStore users, TeamStore teams, Clock clock) {
        this.open = open;
        this.region = region;
        this.users = users;
        this.teams = teams;
        this.clock = clock;
    }

    public boolean open() {
        return open;
    }

    public String region() {
        return region;
    }

    /** The new user, admin and owner of a new team named after them; a taken email is a conflict. */
    public UserAccount register(String email, String name, String passwordHash) {
        return register(email, name, null, false, passwordHash, (h, user) -> {
        });
    }

    /**
     * Like {@link #register(String, String, String)} for a user who logged in elsewhere (no password):
     * {@code alongside} runs in the same transaction (to link their identity) and may throw to undo it all.
     */
    public UserAccount register(String email, String name, String avatarUrl, boolean emailVerified, String passwordHash,
            BiConsumer<Handle, UserAccount> alongside) {
        Instant now = clock.instant();
        var user = new UserAccount(UUID.randomUUID().toString(), UserStore.normalizeEmail(email), name, avatarUrl,
                emailVerified, false, passwordHash, now, now);
        var team = new TeamRecord(UUID.randomUUID().toString(), name + "'s team", slugOf(name), user.id(), region, now,
                now);
        teams.jdbi().useTransaction(h -> {
            users.insert(h, user);
            teams.insert(h, team);
            teams.addMember(h, UUID.randomUUID().toString(), team.id(), user.id(), Role.ADMIN, now);
            alongside.accept(h, user);
        });
        return user;
    }

    public void setPassword(String userId, String hash, Instant now) {
        teams.jdbi().useHandle(h -> users.setPasswordHash(h, userId, hash, now));
    }

    /** A slug from a display name: lower-case letters and digits joined by single hyphens ("team" if none). */
    public static String slugOf(String name) {
        String slug = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-+|-+$", "");
        if (slug.length() > 63) {
            slug = slug.substring(0, 63).replaceAll("-+$", "");
        }
        return slug.isEmpty() ? "team" : slug;
    }
}
