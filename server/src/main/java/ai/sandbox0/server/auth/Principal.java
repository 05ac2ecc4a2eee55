package ai.sandbox0.server.auth;

import java.util.EnumSet;
import java.util.Set;

/**
 * Who is calling: the team the request acts in (null when a user session selected none), the user behind
 * it, and what it may do. {@code apiKeyId} is set for API keys, {@code sessionId} for user sessions.
 * {@code systemAdmin}: a platform key or a system administrator's session, holding every permission.
 */
public record Principal(String teamId, String userId, String apiKeyId, String sessionId, Set<Role> roles,
        boolean systemAdmin) {

    public Principal {
        roles = Set.copyOf(roles);
    }

    public Set<Permission> permissions() {
        if (systemAdmin) {
            return EnumSet.allOf(Permission.class);
        }
        var all = EnumSet.noneOf(Permission.class);
        roles.forEach(role -> all.addAll(role.permissions()));
        return all;
    }

    public boolean may(Permission permission) {
        return systemAdmin || roles.stream().anyMatch(role -> role.permissions().contains(permission));
    }

    public boolean isUserSession() {
        return sessionId != null;
    }
}
