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
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;
import ai.sandbox0.server.domain.DomainException;
import ai.sandbox0.server.store.Database;

/** Users in the store; emails are kept trimmed and lower-cased, so lookups ignore case. */
public final class UserStore {

    private static final String COLUMNS =
            "id, email, name, avatar_url, email_verified, is_admin, password_hash, created_at, updated_at";

    private final Jdbi jdbi;

    public UserStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    public static String normalizeEmail(String email) {
        return email.strip().toLowerCase(Locale.ROOT);
    }

    public Optional<UserAccount> findById(String id) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM users WHERE id = :id")
                .bind("id", id).map(UserStore::map).findOne());
    }

    public Optional<UserAccount> findByEmail(String email) {
        return jdbi.withHandle(h -> findByEmail(h, email));
    }

    public Optional<UserAccount> findByEmail(Handle h, String email) {
        return h.createQuery("SELECT " + COLUMNS + " FROM users WHERE email = :email")
                .bind("email", normalizeEmail(email)).map(UserStore::map).findOne();
    }

    /** Inserts within the caller's transaction; a taken email is a conflict that rolls it back. */
    public void insert(Handle h, UserAccount user) {
        if (findByEmail(h, user.email()).isPresent()) {
            throw new DomainException.Conflict("email already exists");
        }
        try {
            h.createUpdate("INSERT INTO users (id, email, name, avatar_url, email_verified, is_admin, password_hash,"
                        + " created_at, updated_at) VALUES (:id, :email, :name, :avatar, :verified, :admin, :hash,"
                        + " :created, :updated)")
                .bind("id", user.id())
                .bind("email", normalizeEmail(user.email()))
                .bind("name", user.name())
                .bind("avatar", user.avatarUrl())
                .bind("verified", user.emailVerified())
                .bind("admin", user.systemAdmin())
                .bind("hash", user.passwordHash())
                .bind("created", user.createdAt().toEpochMilli())
                .bind("updated", user.updatedAt().toEpochMilli())
                .execute();
        } catch (UnableToExecuteStatementException e) {
            if (Database.isUniqueViolation(e)) {
                // Another registration with this email committed in between.
                throw new DomainException.Conflict("email already exists");
            }
            throw e;
        }
    }

    public void updateProfile(String id, String name, String avatarUrl, Instant now) {
        jdbi.useHandle(h -> h.createUpdate(
                        "UPDATE users SET name = :name, avatar_url = :avatar, updated_at = :now WHERE id = :id")
                .bind("id", id).bind("name", name).bind("avatar", avatarUrl).bind("now", now.toEpochMilli())
                .execute());
    }

    public void setPasswordHash(Handle h, String id, String hash, Instant now) {
        h.createUpdate("UPDATE users SET password_hash = :hash, updated_at = :now WHERE id = :id")
                .bind("id", id).bind("hash", hash).bind("now", now.toEpochMilli()).execute();
    }

    /** The user's teams and roles, in team id order, as access tokens carry them. */
    public List<TeamGrant> grants(String userId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT m.team_id, m.role, t.home_region_id FROM team_members m"
                        + " JOIN teams t ON t.id = m.team_id WHERE m.user_id = :user ORDER BY m.team_id")
                .bind("user", userId)
                .map((rs, ctx) -> new TeamGrant(rs.getString(1), Role.fromWire(rs.getString(2))
                        .orElseThrow(() -> new SQLException("unknown role in store")), rs.getString(3)))
                .list());
    }

    private static UserAccount map(ResultSet rs, StatementContext ctx) throws SQLException {
        return new UserAccount(
                rs.getString("id"),
                rs.getString("email"),
                rs.getString("name"),
                rs.getString("avatar_url"),
                rs.getBoolean("email_verified"),
                rs.getBoolean("is_admin"),
                rs.getString("password_hash"),
                Instant.ofEpochMilli(rs.getLong("created_at")),
                Instant.ofEpochMilli(rs.getLong("updated_at")));
    }
}
