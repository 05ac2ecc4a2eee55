package ai.sandbox0.server.identity;

import ai.sandbox0.server.auth.Role;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementContext;

/** Teams and their members. Writes that must hold together take the caller's handle (one transaction). */
public final class TeamStore {

    private static final String TEAM_COLUMNS = "id, name, slug, owner_id, home_region_id, created_at, updated_at";
    private static final String MEMBER_QUERY = "SELECT m.id, m.team_id, m.user_id, m.role, m.joined_at, u.email, u.name,"
            + " u.avatar_url FROM team_members m JOIN users u ON u.id = m.user_id";

    private final Jdbi jdbi;

    public TeamStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    public void insert(Handle h, TeamRecord team) {
        h.createUpdate("INSERT INTO teams (" + TEAM_COLUMNS + ") VALUES (:id, :name, :slug, :owner, :region, :created,"
                        + " :updated)")
                .bind("id", team.id()).bind("name", team.name()).bind("slug", team.slug())
                .bind("owner", team.ownerId()).bind("region", team.homeRegionId())
                .bind("created", team.createdAt().toEpochMilli()).bind("updated", team.updatedAt().toEpochMilli())
                .execute();
    }

    public void addMember(Handle h, String membershipId, String teamId, String userId, Role role, Instant now) {
        h.createUpdate("INSERT INTO team_members (id, team_id, user_id, role, joined_at)"
                        + " VALUES (:id, :team, :user, :role, :now)")
                .bind("id", membershipId).bind("team", teamId).bind("user", userId).bind("role", role.wire())
                .bind("now", now.toEpochMilli()).execute();
    }

    public Optional<TeamRecord> find(String id) {
        return jdbi.withHandle(h -> find(h, id));
    }

    public Optional<TeamRecord> find(Handle h, String id) {
        return h.createQuery("SELECT " + TEAM_COLUMNS + " FROM teams WHERE id = :id").bind("id", id)
                .map(TeamStore::team).findOne();
    }

    /** Teams the user is a member of, oldest first. */
    public List<TeamRecord> ofUser(String userId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT t.id, t.name, t.slug, t.owner_id, t.home_region_id,"
                        + " t.created_at, t.updated_at FROM teams t JOIN team_members m ON m.team_id = t.id"
                        + " WHERE m.user_id = :user ORDER BY t.created_at, t.id")
                .bind("user", userId).map(TeamStore::team).list());
    }

    public boolean slugTakenByOwner(Handle h, String ownerId, String slug, String exceptTeamId) {
        return h.createQuery("SELECT COUNT(*) FROM teams WHERE owner_id = :owner AND slug = :slug AND id <> :except")
                .bind("owner", ownerId).bind("slug", slug).bind("except", exceptTeamId == null ? "" : exceptTeamId)
                .mapTo(Integer.class).one() > 0;
    }

    public Optional<Membership> member(String teamId, String userId) {
        return jdbi.withHandle(h -> member(h, teamId, userId));
    }

    public Optional<Membership> member(Handle h, String teamId, String userId) {
        return h.createQuery(MEMBER_QUERY + " WHERE m.team_id = :team AND m.user_id = :user")
                .bind("team", teamId).bind("user", userId).map(TeamStore::membership).findOne();
    }

    /** Members, oldest first; {@code query} (may be null) matches email, name or user id, ignoring case. */
    public List<Membership> members(String teamId, String query) {
        String like = query == null || query.isBlank() ? null
                : "%" + query.strip().toLowerCase(Locale.ROOT).replace("!", "!!").replace("%", "!%").replace("_", "!_")
                        + "%";
        return jdbi.withHandle(h -> h.createQuery(MEMBER_QUERY + " WHERE m.team_id = :team"
                        // '!' escapes: Jdbi's statement lexer mangles a backslash in a literal.
                        + (like == null ? "" : " AND (LOWER(u.email) LIKE :q ESCAPE '!' OR LOWER(u.name) LIKE :q"
                                + " ESCAPE '!' OR LOWER(u.id) LIKE :q ESCAPE '!')")
                        + " ORDER BY m.joined_at, m.user_id")
                .bind("team", teamId).bind("q", like).map(TeamStore::membership).list());
    }

    public int countAdmins(Handle h, String teamId) {
        return h.createQuery("SELECT COUNT(*) FROM team_members WHERE team_id = :team AND role = :admin")
                .bind("team", teamId).bind("admin", Role.ADMIN.wire()).mapTo(Integer.class).one();
    }

    public void setRole(Handle h, String teamId, String userId, Role role) {
        h.createUpdate("UPDATE team_members SET role = :role WHERE team_id = :team AND user_id = :user")
                .bind("team", teamId).bind("user", userId).bind("role", role.wire()).execute();
    }

    public void removeMember(Handle h, String teamId, String userId) {
        h.createUpdate("DELETE FROM team_members WHERE team_id = :team AND user_id = :user")
                .bind("team", teamId).bind("user", userId).execute();
    }

    public void update(Handle h, String teamId, String name, String slug, Instant now) {
        h.createUpdate("UPDATE teams SET name = :name, slug = :slug, updated_at = :now WHERE id = :id")
                .bind("id", teamId).bind("name", name).bind("slug", slug).bind("now", now.toEpochMilli()).execute();
    }

    public void setOwner(Handle h, String teamId, String ownerId, Instant now) {
        h.createUpdate("UPDATE teams SET owner_id = :owner, updated_at = :now WHERE id = :id")
                .bind("id", teamId).bind("owner", ownerId).bind("now", now.toEpochMilli()).execute();
    }

    public void delete(Handle h, String teamId) {
        h.createUpdate("DELETE FROM team_members WHERE team_id = :id").bind("id", teamId).execute();
        h.createUpdate("DELETE FROM teams WHERE id = :id").bind("id", teamId).execute();
    }

    /** Locks the team's row until the transaction ends, so membership rules are checked against settled state. */
    public void lock(Handle h, String teamId) {
        h.createUpdate("UPDATE teams SET updated_at = updated_at WHERE id = :id").bind("id", teamId).execute();
    }

    private static TeamRecord team(ResultSet rs, StatementContext ctx) throws SQLException {
        return new TeamRecord(rs.getString("id"), rs.getString("name"), rs.getString("slug"), rs.getString("owner_id"),
                rs.getString("home_region_id"), Instant.ofEpochMilli(rs.getLong("created_at")),
                Instant.ofEpochMilli(rs.getLong("updated_at")));
    }

    private static Membership membership(ResultSet rs, StatementContext ctx) throws SQLException {
        return new Membership(rs.getString(1), rs.getString(2), rs.getString(3),
                Role.fromWire(rs.getString(4)).orElseThrow(() -> new SQLException("unknown role in store")),
                Instant.ofEpochMilli(rs.getLong(5)), rs.getString(6), rs.getString(7), rs.getString(8));
    }
}
