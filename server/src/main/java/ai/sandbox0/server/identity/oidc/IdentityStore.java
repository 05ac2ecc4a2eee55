package ai.sandbox0.server.identity.oidc;

import ai.sandbox0.server.store.Database;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementContext;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

/** Users' linked OIDC identities in the store: one user per (provider, subject). */
public final class IdentityStore {

    /** What became of a removal. */
    public enum Removal { REMOVED, NOT_FOUND, LAST_METHOD }

    private static final String COLUMNS = "id, user_id, provider, subject, email, created_at";

    private final Jdbi jdbi;

    public IdentityStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    public Optional<LinkedIdentity> find(String provider, String subject) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM user_identities"
                        + " WHERE provider = :provider AND subject = :subject")
                .bind("provider", provider).bind("subject", subject).map(IdentityStore::map).findOne());
    }

    public List<LinkedIdentity> of(String userId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM user_identities WHERE user_id = :user"
                        + " ORDER BY created_at, id")
                .bind("user", userId).map(IdentityStore::map).list());
    }

    /**
     * Links within the caller's transaction; false when (provider, subject) is already linked (to anyone),
     * which a concurrent first login can do in between. After false the transaction must roll back
     * (PostgreSQL has aborted it).
     */
    public boolean insert(Handle h, LinkedIdentity identity) {
        try {
            h.createUpdate("INSERT INTO user_identities (id, user_id, provider, subject, email, created_at)"
                            + " VALUES (:id, :user, :provider, :subject, :email, :created)")
                    .bind("id", identity.id()).bind("user", identity.userId()).bind("provider", identity.provider())
                    .bind("subject", identity.subject()).bind("email", identity.email())
                    .bind("created", identity.createdAt().toEpochMilli())
                    .execute();
            return true;
        } catch (UnableToExecuteStatementException e) {
            if (Database.isUniqueViolation(e)) {
                return false;
            }
            throw e;
        }
    }

    public boolean insert(LinkedIdentity identity) {
        return jdbi.inTransaction(h -> insert(h, identity));
    }

    /**
     * Removes one of the user's identities unless it is their last way to log in (no password, no other
     * identity). The user's row is written first so concurrent removals of their identities take turns.
     */
    public Removal remove(String userId, String identityId) {
        return jdbi.inTransaction(h -> {
            h.createUpdate("UPDATE users SET updated_at = updated_at WHERE id = :user").bind("user", userId).execute();
            boolean mine = h.createQuery("SELECT COUNT(*) FROM user_identities WHERE id = :id AND user_id = :user")
                    .bind("id", identityId).bind("user", userId).mapTo(Integer.class).one() > 0;
            if (!mine) {
                return Removal.NOT_FOUND;
            }
            boolean password = h.createQuery("SELECT COUNT(*) FROM users WHERE id = :user AND password_hash IS NOT NULL")
                    .bind("user", userId).mapTo(Integer.class).one() > 0;
            int linked = h.createQuery("SELECT COUNT(*) FROM user_identities WHERE user_id = :user").bind("user", userId)
                    .mapTo(Integer.class).one();
            if (!password && linked <= 1) {
                return Removal.LAST_METHOD;
            }
            h.createUpdate("DELETE FROM user_identities WHERE id = :id AND user_id = :user")
                    .bind("id", identityId).bind("user", userId).execute();
            return Removal.REMOVED;
        });
    }

    private static LinkedIdentity map(ResultSet rs, StatementContext ctx) throws SQLException {
        return new LinkedIdentity(rs.getString("id"), rs.getString("user_id"), rs.getString("provider"),
                rs.getString("subject"), rs.getString("email"), Instant.ofEpochMilli(rs.getLong("created_at")));
    }
}
