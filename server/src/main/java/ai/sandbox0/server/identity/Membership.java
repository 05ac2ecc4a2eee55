package ai.sandbox0.server.identity;

import ai.sandbox0.api.tenancy.TeamMember;
import ai.sandbox0.server.auth.Role;
import java.time.Instant;

/** A user's place in a team, with the user's profile for member lists. */
public record Membership(String id, String teamId, String userId, Role role, Instant joinedAt, String email,
        String name, String avatarUrl) {

    public TeamMember view() {
        return new TeamMember(id, teamId, userId, role.wire(), joinedAt, email, name, avatarUrl);
    }
}
