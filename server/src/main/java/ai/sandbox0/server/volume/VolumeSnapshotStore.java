package ai.sandbox0.server.volume;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementContext;

/** Volume snapshots' rows. Other teams' snapshots are never found: callers pass the caller's team. */
public final class VolumeSnapshotStore {

    private static final String COLUMNS = "id, volume_id, team_id, name, description, state, size_bytes, created_at,"
            + " expires_at";

    private final Jdbi jdbi;

    public VolumeSnapshotStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    public void insert(VolumeSnapshotRecord s) {
        jdbi.useHandle(h -> h.createUpdate("INSERT INTO volume_snapshots (" + COLUMNS + ") VALUES (:id, :volume, :team,"
                        + " :name, :description, :state, :size, :created, :expires)")
                .bind("id", s.id()).bind("volume", s.volumeId()).bind("team", s.teamId()).bind("name", s.name())
                .bind("description", s.description()).bind("state", wire(s.state())).bind("size", s.sizeBytes())
                .bind("created", s.createdAt().toEpochMilli())
                .bind("expires", s.expiresAt() == null ? null : s.expiresAt().toEpochMilli())
                .execute());
    }

    /** The team's snapshot in any state. */
    public Optional<VolumeSnapshotRecord> find(String teamId, String id) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM volume_snapshots"
                        + " WHERE id = :id AND team_id = :team")
                .bind("id", id).bind("team", teamId).map(VolumeSnapshotStore::map).findOne());
    }

    /** The team's snapshot if the API shows it (ready). */
    public Optional<VolumeSnapshotRecord> findReady(String teamId, String id) {
        return find(teamId, id).filter(s -> s.state() == VolumeSnapshotRecord.State.READY);
    }

    /** The volume's ready snapshots, newest first. */
    public List<VolumeSnapshotRecord> ofVolume(String volumeId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM volume_snapshots"
                        + " WHERE volume_id = :volume AND state = 'ready' ORDER BY created_at DESC, id")
                .bind("volume", volumeId).map(VolumeSnapshotStore::map).list());
    }

    /** The volume's snapshots in any state, for deleting them with it. */
    public List<VolumeSnapshotRecord> allOfVolume(String volumeId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM volume_snapshots"
                        + " WHERE volume_id = :volume ORDER BY created_at, id")
                .bind("volume", volumeId).map(VolumeSnapshotStore::map).list());
    }

    /** Snapshots in a state other than ready, for startup to undo or finish. */
    /** Every team's ready snapshots. */
    public List<VolumeSnapshotRecord> allReady() {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM volume_snapshots WHERE state = 'ready'")
                .map(VolumeSnapshotStore::map).list());
    }

    public List<VolumeSnapshotRecord> unsettled() {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM volume_snapshots WHERE state <> 'ready'")
                .map(VolumeSnapshotStore::map).list());
    }

    /** What the team's snapshots hold, counting those being made at their expected size. */
    public long bytesOf(String teamId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT COALESCE(SUM(size_bytes), 0) FROM volume_snapshots"
                        + " WHERE team_id = :team AND state <> 'deleting'")
                .bind("team", teamId).mapTo(Long.class).one());
    }

    public void setState(String id, VolumeSnapshotRecord.State state) {
        jdbi.useHandle(h -> h.createUpdate("UPDATE volume_snapshots SET state = :state WHERE id = :id")
                .bind("id", id).bind("state", wire(state)).execute());
    }

    /** The snapshot exists on the node and holds {@code size} bytes: the API shows it from now on. */
    public void ready(String id, long size) {
        jdbi.useHandle(h -> h.createUpdate("UPDATE volume_snapshots SET state = 'ready', size_bytes = :size WHERE id = :id")
                .bind("id", id).bind("size", size).execute());
    }

    public void delete(String id) {
        jdbi.useHandle(h -> h.createUpdate("DELETE FROM volume_snapshots WHERE id = :id").bind("id", id).execute());
    }

    private static String wire(VolumeSnapshotRecord.State state) {
        return state.name().toLowerCase(Locale.ROOT);
    }

    private static VolumeSnapshotRecord map(ResultSet rs, StatementContext ctx) throws SQLException {
        long expires = rs.getLong("expires_at");
        boolean noExpiry = rs.wasNull();
        return new VolumeSnapshotRecord(rs.getString("id"), rs.getString("volume_id"), rs.getString("team_id"),
                rs.getString("name"), rs.getString("description"),
                VolumeSnapshotRecord.State.valueOf(rs.getString("state").toUpperCase(Locale.ROOT)),
                rs.getLong("size_bytes"), Instant.ofEpochMilli(rs.getLong("created_at")),
                noExpiry ? null : Instant.ofEpochMilli(expires));
    }
}
