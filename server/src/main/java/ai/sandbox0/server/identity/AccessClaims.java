package ai.sandbox0.server.identity;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** What a verified access token says: the user, their teams at issue time, and the login it belongs to. */
public record AccessClaims(String userId, String email, String name, boolean systemAdmin, List<TeamGrant> grants,
        String sessionId, Instant expiresAt) {

    public AccessClaims {
        grants = List.copyOf(grants);
    }

    public Optional<TeamGrant> grant(String teamId) {
        return grants.stream().filter(g -> g.teamId().equals(teamId)).findFirst();
    }
}
