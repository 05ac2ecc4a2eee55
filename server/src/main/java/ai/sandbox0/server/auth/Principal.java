package ai.sandbox0.server.auth;

import java.util.EnumSet;
import java.util.Set;

/**
 * Who is calling: the team every request acts in, the user behind it, and what it may do.
 * {@code apiKeyId} is set when the caller authenticated with an API key.
 */
public record Principal(String teamId, String userId, String apiKeyId, Set<Role> roles, boolean platform) {

    public Principal {
        roles = Set.copyOf(roles);
    }

    /** Platform keys and system admins hold every permission. */
    public Set<Permission> permissions() {
        if (platform) {
            return EnumSet.allOf(Permission.class);
        }
        var all = EnumSet.noneOf(Permission.class);
        roles.forEach(role -> all.addAll(role.permissions()));
        return all;
    }

    public boolean may(Permission permission) {
        return platform || roles.stream().anyMatch(role -> role.permissions().contains(permission));
    }
}
