package ai.sandbox0.server.identity;

import ai.sandbox0.server.auth.Role;

/** A team the user belonged to, with their role there, when their access token was issued. */
public record TeamGrant(String teamId, Role role, String homeRegionId) {
}
