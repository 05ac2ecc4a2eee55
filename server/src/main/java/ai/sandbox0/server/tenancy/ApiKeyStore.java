package ai.sandbox0.server.tenancy;

import ai.sandbox0.server.auth.Role;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementContext;

/** API keys in the store, found by the digest of their secret. */
public final class ApiKeyStore {

    /** Uses of a key not yet in the store: {@code uses} more, the latest at {@code lastUsedAt}. */
    public record Usage(String keyId, long uses, Instant lastUsedAt) {
    }

    private static final String COLUMNS = "id, key_prefix, name, team_id, user_id, created_by, scope, roles, is_active,"
            + " expires_at, last_used_at, usage_count, created_at, updated_at";

    private final Jdbi jdbi;

    public ApiKeyStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    public Optional<ApiKey> findByDigest(String digest) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM api_keys WHERE key_hash = :digest")
                .bind("digest", digest)
                .map(ApiKeyStore::map)
                .findOne());
    }

    public Optional<ApiKey> findById(String id) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM api_keys WHERE id = :id")
                .bind("id", id)
                .map(ApiKeyStore::map)
                .findOne());
    }

    /** The team's keys, newest first (upstream's order). */
    public List<ApiKey> ofTeam(String teamId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM api_keys WHERE team_id = :team"
                        + " ORDER BY created_at DESC, id")
                .bind("team", teamId)
                .map(ApiKeyStore::map)
                .list());
    }

    public void insert(ApiKey key, String digest) {
        jdbi.useTransaction(h -> insert(h, key, digest));
    }

    /** Deletes the key; false when there is none with this id. */
    public boolean delete(String id) {
        return jdbi.withHandle(h -> h.createUpdate("DELETE FROM api_keys WHERE id = :id").bind("id", id).execute()) > 0;
    }

    /** Marks the key inactive (it stays listed); false when there is none with this id. */
    public boolean deactivate(String id, Instant now) {
        return jdbi.withHandle(h -> h.createUpdate("UPDATE api_keys SET is_active = FALSE, updated_at = :now"
                        + " WHERE id = :id")
                .bind("id", id).bind("now", now.toEpochMilli()).execute()) > 0;
    }

    /** Adds counted uses, one UPDATE per key in one transaction; keys deleted meanwhile are skipped. */
    public void addUsage(List<Usage> usage) {
        jdbi.useTransaction(h -> {
            var batch = h.prepareBatch("UPDATE api_keys SET usage_count = usage_count + :uses,"
                    + " last_used_at = CASE WHEN last_used_at IS NULL OR last_used_at < :at THEN :at"
                    + " ELSE last_used_at END WHERE id = :id");
            for (Usage u : usage) {
                batch.bind("uses", u.uses()).bind("at", u.lastUsedAt().toEpochMilli()).bind("id", u.keyId()).add();
            }
            batch.execute();
        });
    }

    /** Inserts within the caller's transaction. */
    public void insert(Handle handle, ApiKey key, String digest) {
        handle.createUpdate("INSERT INTO api_keys (id, key_hash, key_prefix, name, team_id, user_id, created_by, scope,"
                        + " roles, is_active, expires_at, last_used_at, usage_count, created_at, updated_at)"
                        + " VALUES (:id, :digest, :prefix, :name, :team, :user, :createdBy, :scope, :roles, :active,"
                        + " :expires, :lastUsed, :usage, :created, :updated)")
                .bind("id", key.id())
                .bind("digest", digest)
                .bind("prefix", key.keyPrefix())
                .bind("name", key.name())
                .bind("team", key.teamId())
                .bind("user", key.userId())
                .bind("createdBy", key.createdBy())
                .bind("scope", key.scope().wire())
                .bind("roles", key.roles().stream().map(Role::wire).collect(Collectors.joining(",")))
                .bind("active", key.active())
                .bind("expires", key.expiresAt().toEpochMilli())
                .bind("lastUsed", key.lastUsedAt() == null ? null : key.lastUsedAt().toEpochMilli())
                .bind("usage", key.usageCount())
                .bind("created", key.createdAt().toEpochMilli())
                .bind("updated", key.updatedAt().toEpochMilli())
                .execute();
    }

    /** Deactivates the user's keys in the team, within the caller's transaction (they left the team). */
    public int deactivateOf(Handle handle, String teamId, String userId, java.time.Instant now) {
        return handle.createUpdate("UPDATE api_keys SET is_active = FALSE, updated_at = :now WHERE team_id = :team"
                        + " AND (user_id = :user OR created_by = :user) AND is_active = TRUE")
                .bind("team", teamId).bind("user", userId).bind("now", now.toEpochMilli()).execute();
    }

    private static ApiKey map(ResultSet rs, StatementContext ctx) throws SQLException {
        long lastUsed = rs.getLong("last_used_at");
        Instant lastUsedAt = rs.wasNull() ? null : Instant.ofEpochMilli(lastUsed);
        return new ApiKey(
                rs.getString("id"),
                rs.getString("key_prefix"),
                rs.getString("name"),
                rs.getString("team_id"),
                rs.getString("user_id"),
                rs.getString("created_by"),
                ApiKeyScope.fromWire(rs.getString("scope"))
                        .orElseThrow(() -> new SQLException("unknown api key scope in store")),
                roles(rs.getString("roles")),
                rs.getBoolean("is_active"),
                Instant.ofEpochMilli(rs.getLong("expires_at")),
                lastUsedAt,
                rs.getLong("usage_count"),
                Instant.ofEpochMilli(rs.getLong("created_at")),
                Instant.ofEpochMilli(rs.getLong("updated_at")));
    }

    private static List<Role> roles(String column) throws SQLException {
        if (column.isEmpty()) {
            return List.of();
        }
        var roles = new java.util.ArrayList<Role>();
        for (String wire : Arrays.asList(column.split(","))) {
            roles.add(Role.fromWire(wire).orElseThrow(() -> new SQLException("unknown role in store: " + wire)));
        }
        return roles;
    }
}
