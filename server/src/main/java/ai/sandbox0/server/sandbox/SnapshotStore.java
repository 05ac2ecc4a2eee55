package ai.sandbox0.server.sandbox;

import ai.sandbox0.node.LayerChain;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementContext;

/** Rootfs snapshots: a name for a paused sandbox's chain at one moment. Deleting one touches no sandbox. */
public final class SnapshotStore {

    private static final String COLUMNS = "id, team_id, source_sandbox_id, rootfs, name, description, expires_at, created_at";

    private final Jdbi jdbi;

    public SnapshotStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /** A stored snapshot; {@code expiresAt} is null when unset (metadata only, never deleted automatically). */
    public record Snapshot(String id, String teamId, String sourceSandboxId, LayerChain rootfs, String name,
            String description, Instant expiresAt, Instant createdAt) {
    }

    public void insert(Snapshot s) {
        jdbi.useHandle(h -> h.createUpdate("INSERT INTO rootfs_snapshots (" + COLUMNS + ") VALUES (:id, :team, :source,"
                        + " :rootfs, :name, :description, :expires, :created)")
                .bind("id", s.id()).bind("team", s.teamId()).bind("source", s.sourceSandboxId())
                .bind("rootfs", RootfsChains.toJson(s.rootfs())).bind("name", s.name()).bind("description", s.description())
                .bind("expires", s.expiresAt() == null ? 0 : s.expiresAt().toEpochMilli())
                .bind("created", s.createdAt().toEpochMilli())
                .execute());
    }

    public Optional<Snapshot> find(String teamId, String id) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM rootfs_snapshots WHERE id = :id AND team_id = :team")
                .bind("id", id).bind("team", teamId).map(SnapshotStore::map).findOne());
    }

    /** A snapshot the team may start from: its own and not past an expiry it was given. */
    public Optional<Snapshot> findUsable(String teamId, String id, Instant now) {
        return find(teamId, id).filter(s -> s.expiresAt() == null || now.isBefore(s.expiresAt()));
    }

    public List<Snapshot> ofSandbox(String teamId, String sandboxId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM rootfs_snapshots"
                        + " WHERE team_id = :team AND source_sandbox_id = :source ORDER BY created_at, id")
                .bind("team", teamId).bind("source", sandboxId).map(SnapshotStore::map).list());
    }

    public boolean delete(String teamId, String id) {
        return jdbi.withHandle(h -> h.createUpdate("DELETE FROM rootfs_snapshots WHERE id = :id AND team_id = :team")
                .bind("id", id).bind("team", teamId).execute()) == 1;
    }

    private static Snapshot map(ResultSet rs, StatementContext ctx) throws SQLException {
        long expires = rs.getLong("expires_at");
        return new Snapshot(rs.getString("id"), rs.getString("team_id"), rs.getString("source_sandbox_id"),
                RootfsChains.fromJson(rs.getString("rootfs")), rs.getString("name"), rs.getString("description"),
                expires == 0 ? null : Instant.ofEpochMilli(expires), Instant.ofEpochMilli(rs.getLong("created_at")));
    }
}
