package ai.sandbox0.server.volume;

import ai.sandbox0.api.volume.VolumeAccessMode;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.StatementContext;

/** Volumes' rows. Other teams' volumes are never found: callers pass the caller's team. */
public final class VolumeStore {

    private static final String COLUMNS = "id, team_id, user_id, source_volume_id, default_posix_uid,"
            + " default_posix_gid, access_mode, state, size_bytes, created_at, updated_at";

    private final Jdbi jdbi;

    public VolumeStore(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    public void insert(VolumeRecord v) {
        jdbi.useHandle(h -> h.createUpdate("INSERT INTO sandbox_volumes (" + COLUMNS + ") VALUES (:id, :team, :user,"
                        + " :source, :uid, :gid, :mode, :state, :size, :created, :updated)")
                .bind("id", v.id()).bind("team", v.teamId()).bind("user", v.userId())
                .bind("source", v.sourceVolumeId()).bind("uid", v.defaultPosixUid()).bind("gid", v.defaultPosixGid())
                .bind("mode", v.accessMode().wire()).bind("state", v.state().name().toLowerCase(Locale.ROOT))
                .bind("size", v.sizeBytes()).bind("created", v.createdAt().toEpochMilli())
                .bind("updated", v.updatedAt().toEpochMilli())
                .execute());
    }

    /** The team's volume in any state. */
    public Optional<VolumeRecord> find(String teamId, String id) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM sandbox_volumes"
                        + " WHERE id = :id AND team_id = :team")
                .bind("id", id).bind("team", teamId).map(VolumeStore::map).findOne());
    }

    /** The volume in any team and state: to tell another team's volume (404) from none at all. */
    public Optional<VolumeRecord> findAnyTeam(String id) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM sandbox_volumes WHERE id = :id")
                .bind("id", id).map(VolumeStore::map).findOne());
    }

    /** The team's volume if the API shows it (ready). */
    public Optional<VolumeRecord> findReady(String teamId, String id) {
        return find(teamId, id).filter(v -> v.state() == VolumeRecord.State.READY);
    }

    /** The team's ready volumes, newest first. */
    public List<VolumeRecord> list(String teamId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM sandbox_volumes"
                        + " WHERE team_id = :team AND state = 'ready' ORDER BY created_at DESC, id")
                .bind("team", teamId).map(VolumeStore::map).list());
    }

    /** Every team's ready volumes. */
    public List<VolumeRecord> allReady() {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM sandbox_volumes WHERE state = 'ready'")
                .map(VolumeStore::map).list());
    }

    /** Volumes in a state other than ready, for startup to finish or undo. */
    public List<VolumeRecord> unsettled() {
        return jdbi.withHandle(h -> h.createQuery("SELECT " + COLUMNS + " FROM sandbox_volumes WHERE state <> 'ready'")
                .map(VolumeStore::map).list());
    }

    public void setState(String id, VolumeRecord.State state, Instant now) {
        jdbi.useHandle(h -> h.createUpdate("UPDATE sandbox_volumes SET state = :state, updated_at = :now WHERE id = :id")
                .bind("id", id).bind("state", state.name().toLowerCase(Locale.ROOT)).bind("now", now.toEpochMilli())
                .execute());
    }

    /** Ids of the team's volumes some sandbox holds (a mount row): what they hold can change behind the API. */
    public java.util.Set<String> heldBySandboxes(String teamId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT DISTINCT m.volume_id FROM volume_mounts m"
                        + " JOIN sandbox_volumes v ON v.id = m.volume_id WHERE v.team_id = :team")
                .bind("team", teamId).mapTo(String.class).collectIntoSet());
    }

    /** Marks the volume's content as changed as a whole (a restore). */
    public void touch(String id, Instant now) {
        jdbi.useHandle(h -> h.createUpdate("UPDATE sandbox_volumes SET updated_at = :now WHERE id = :id")
                .bind("id", id).bind("now", now.toEpochMilli()).execute());
    }

    public void setSize(String id, long bytes) {
        jdbi.useHandle(h -> h.createUpdate("UPDATE sandbox_volumes SET size_bytes = :size WHERE id = :id")
                .bind("id", id).bind("size", bytes).execute());
    }

    public void delete(String id) {
        jdbi.useHandle(h -> h.createUpdate("DELETE FROM sandbox_volumes WHERE id = :id").bind("id", id).execute());
    }

    private static VolumeRecord map(ResultSet rs, StatementContext ctx) throws SQLException {
        return new VolumeRecord(rs.getString("id"), rs.getString("team_id"), rs.getString("user_id"),
                rs.getString("source_volume_id"), rs.getLong("default_posix_uid"), rs.getLong("default_posix_gid"),
                VolumeAccessMode.fromWire(rs.getString("access_mode")).orElseThrow(),
                VolumeRecord.State.valueOf(rs.getString("state").toUpperCase(Locale.ROOT)), rs.getLong("size_bytes"),
                Instant.ofEpochMilli(rs.getLong("created_at")), Instant.ofEpochMilli(rs.getLong("updated_at")));
    }
}
