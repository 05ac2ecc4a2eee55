package ai.sandbox0.server.tenancy;

import ai.sandbox0.server.auth.Role;
import ai.sandbox0.server.domain.DomainException;
import ai.sandbox0.server.identity.Membership;
import ai.sandbox0.server.identity.Registrations;
import ai.sandbox0.server.identity.TeamRecord;
import ai.sandbox0.server.identity.TeamStore;
import ai.sandbox0.server.identity.UserAccount;
import ai.sandbox0.server.identity.UserStore;
import ai.sandbox0.server.store.Database;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

/**
 * The rules of teams, as upstream has them: members see their team; admins change it and its members;
 * only the owner deletes it or hands it on; the owner stays an admin and a team never loses its last admin.
 * Every change that checks a rule runs in one transaction with the team's row locked, so two admins
 * demoting each other at once cannot leave the team without one.
 */
public final class Teams {

    private static final Pattern SLUG = Pattern.compile("[a-z0-9]+(-[a-z0-9]+)*");

    private final TeamStore teams;
    private final UserStore users;
    private final ApiKeyStore keys;
    private final Function<String, Map<String, Integer>> resources;
    private final String region;
    private final Clock clock;

    /**
     * @param resources what a team still holds that deleting it would orphan (sandboxes, templates, …), by kind;
     *     only non-zero counts
     */
    public Teams(TeamStore teams, UserStore users, ApiKeyStore keys, Function<String, Map<String, Integer>> resources,
            String region, Clock clock) {
        this.teams = teams;
        this.users = users;
        this.keys = keys;
        this.resources = resources;
        this.region = region;
        this.clock = clock;
    }

    public List<TeamRecord> ofUser(String userId) {
        return teams.ofUser(userId);
    }

    public TeamRecord create(String userId, String name, String slug, String homeRegionId) {
        String trimmed = name == null ? "" : name.strip();
        if (trimmed.isEmpty()) {
            throw new DomainException.Invalid("team name is required");
        }
        if (trimmed.length() > 255) {
            throw new DomainException.Invalid("team name must be at most 255 characters");
        }
        String chosen = slug == null || slug.isEmpty() ? null : explicitSlug(slug);
        String home = homeRegionId == null || homeRegionId.isBlank() ? region : homeRegionId.strip();
        if (!home.equals(region)) {
            throw new DomainException.Invalid("home region not found: this installation serves region '" + region + "'");
        }
        Instant now = clock.instant();
        return inTransaction(h -> {
            String finalSlug = chosen;
            if (finalSlug == null) {
                finalSlug = freeSlug(h, userId, Registrations.slugOf(trimmed));
            } else if (teams.slugTakenByOwner(h, userId, finalSlug, null)) {
                throw new DomainException.Conflict("team slug already exists");
            }
            var team = new TeamRecord(UUID.randomUUID().toString(), trimmed, finalSlug, userId, home, now, now);
            teams.insert(h, team);
            teams.addMember(h, UUID.randomUUID().toString(), team.id(), userId, Role.ADMIN, now);
            return team;
        });
    }

    public TeamRecord get(String userId, String teamId) {
        requireMember(teamId, userId);
        return teams.find(teamId).orElseThrow(() -> new DomainException.NotFound("team not found"));
    }

    public TeamRecord update(String userId, String teamId, String name, String slug, String homeRegionId) {
        requireAdmin(teamId, userId, "only admins can update team");
        return inTransaction(h -> {
            teams.lock(h, teamId);
            TeamRecord team = teams.find(h, teamId).orElseThrow(() -> new DomainException.NotFound("team not found"));
            String newName = team.name();
            if (name != null && !name.isEmpty()) {
                newName = name.strip();
                if (newName.isEmpty()) {
                    throw new DomainException.Invalid("team name is required");
                }
                if (newName.length() > 255) {
                    throw new DomainException.Invalid("team name must be at most 255 characters");
                }
            }
            String newSlug = slug == null || slug.isEmpty() ? team.slug() : explicitSlug(slug);
            if (homeRegionId != null && !homeRegionId.strip().equals(team.homeRegionId())) {
                throw new DomainException.Conflict("team home region cannot be changed after creation");
            }
            if (!newSlug.equals(team.slug()) && teams.slugTakenByOwner(h, team.ownerId(), newSlug, teamId)) {
                throw new DomainException.Conflict("team slug already exists");
            }
            Instant now = clock.instant();
            teams.update(h, teamId, newName, newSlug, now);
            return new TeamRecord(team.id(), newName, newSlug, team.ownerId(), team.homeRegionId(), team.createdAt(), now);
        });
    }

    public void delete(String userId, String teamId) {
        TeamRecord team = teams.find(teamId).orElseThrow(() -> new DomainException.NotFound("team not found"));
        if (!userId.equals(team.ownerId())) {
            throw new DomainException.Forbidden("only team owner can delete team");
        }
        Map<String, Integer> held = resources.apply(teamId);
        if (!held.isEmpty()) {
            throw new DomainException.Conflict("team has resources that must be removed before deletion", held);
        }
        inTransaction(h -> {
            teams.delete(h, teamId);
            return null;
        });
    }

    public TeamRecord transferOwner(String userId, String teamId, String newOwnerId) {
        return inTransaction(h -> {
            teams.lock(h, teamId);
            TeamRecord team = teams.find(h, teamId).orElseThrow(() -> new DomainException.NotFound("team not found"));
            if (!userId.equals(team.ownerId())) {
                throw new DomainException.Forbidden("only team owner can transfer ownership");
            }
            Membership target = teams.member(h, teamId, newOwnerId)
                    .orElseThrow(() -> new DomainException.NotFound("member not found"));
            Instant now = clock.instant();
            if (target.role() != Role.ADMIN) {
                teams.setRole(h, teamId, newOwnerId, Role.ADMIN);
            }
            teams.setOwner(h, teamId, newOwnerId, now);
            return new TeamRecord(team.id(), team.name(), team.slug(), newOwnerId, team.homeRegionId(), team.createdAt(),
                    now);
        });
    }

    public List<Membership> members(String userId, String teamId, String query) {
        requireMember(teamId, userId);
        return teams.members(teamId, query);
    }

    public Membership addMember(String userId, String teamId, String email, Role role) {
        requireAdmin(teamId, userId, "only admins can add members");
        UserAccount user = users.findByEmail(email).orElseThrow(() -> new DomainException.NotFound("user not found"));
        Instant now = clock.instant();
        return inTransaction(h -> {
            teams.lock(h, teamId);
            if (teams.find(h, teamId).isEmpty()) {
                throw new DomainException.NotFound("team not found");
            }
            if (teams.member(h, teamId, user.id()).isPresent()) {
                throw new DomainException.Conflict("user is already a member");
            }
            teams.addMember(h, UUID.randomUUID().toString(), teamId, user.id(), role, now);
            return teams.member(h, teamId, user.id()).orElseThrow();
        });
    }

    public void updateRole(String userId, String teamId, String memberId, Role role) {
        requireAdmin(teamId, userId, "only admins can update members");
        inTransaction(h -> {
            teams.lock(h, teamId);
            TeamRecord team = teams.find(h, teamId).orElseThrow(() -> new DomainException.NotFound("team not found"));
            Membership member = teams.member(h, teamId, memberId)
                    .orElseThrow(() -> new DomainException.NotFound("member not found"));
            if (role != Role.ADMIN && memberId.equals(team.ownerId())) {
                throw new DomainException.Invalid("team owner must remain an admin");
            }
            if (member.role() == Role.ADMIN && role != Role.ADMIN && teams.countAdmins(h, teamId) <= 1) {
                throw new DomainException.Invalid("cannot remove the last admin");
            }
            teams.setRole(h, teamId, memberId, role);
            return null;
        });
    }

    /**
     * Admins remove anyone, members only themselves. The removed member's API keys in the team are
     * deactivated with them: a key must not outlive its holder's access.
     */
    public void removeMember(String userId, String teamId, String memberId) {
        Membership caller = requireMember(teamId, userId);
        if (!userId.equals(memberId) && caller.role() != Role.ADMIN) {
            throw new DomainException.Forbidden("only admins can remove other members");
        }
        inTransaction(h -> {
            teams.lock(h, teamId);
            TeamRecord team = teams.find(h, teamId).orElseThrow(() -> new DomainException.NotFound("team not found"));
            if (memberId.equals(team.ownerId())) {
                throw new DomainException.Invalid("cannot remove team owner");
            }
            Membership member = teams.member(h, teamId, memberId)
                    .orElseThrow(() -> new DomainException.NotFound("member not found"));
            if (member.role() == Role.ADMIN && teams.countAdmins(h, teamId) <= 1) {
                throw new DomainException.Invalid("cannot remove the last admin");
            }
            teams.removeMember(h, teamId, memberId);
            keys.deactivateOf(h, teamId, memberId, clock.instant());
            return null;
        });
    }

    private Membership requireMember(String teamId, String userId) {
        return teams.member(teamId, userId)
                .orElseThrow(() -> new DomainException.Forbidden("not a member of this team"));
    }

    /** Member and admin of the team, else 403 with {@code message}: checked before a request body is read, as upstream. */
    public void requireAdmin(String teamId, String userId, String message) {
        if (requireMember(teamId, userId).role() != Role.ADMIN) {
            throw new DomainException.Forbidden(message);
        }
    }

    private String freeSlug(Handle h, String ownerId, String base) {
        String slug = base;
        for (int i = 2; teams.slugTakenByOwner(h, ownerId, slug, null); i++) {
            slug = base + "-" + i;
        }
        return slug;
    }

    private static String explicitSlug(String value) {
        String slug = value.strip();
        if (slug.isEmpty()) {
            throw new DomainException.Invalid("team slug cannot be whitespace");
        }
        if (slug.length() > 63 || !SLUG.matcher(slug).matches()) {
            throw new DomainException.Invalid(
                    "team slug must contain only lowercase letters, numbers, and single hyphens (at most 63)");
        }
        return slug;
    }

    private <T> T inTransaction(org.jdbi.v3.core.HandleCallback<T, RuntimeException> work) {
        try {
            return teams.jdbi().inTransaction(work);
        } catch (UnableToExecuteStatementException e) {
            if (Database.isUniqueViolation(e)) {
                throw new DomainException.Conflict("a concurrent change to this team won; try again");
            }
            throw e;
        }
    }
}
