package ai.sandbox0.server.volume;

import java.time.Instant;
import java.util.List;
import org.jdbi.v3.core.Jdbi;

/**
 * Which sandboxes hold which volumes: a row from claim until the sandbox is deleted. An RWO volume has at
 * most one writable holder; {@link #claim} checks and inserts in one transaction so two claims cannot both win.
 */
public final class VolumeMounts {

    /** One sandbox's hold on one volume. */
    public record Mount(String volumeId, String sandboxId, String mountPoint, boolean readOnly, Instant createdAt) {
    }

    /** The volume is held writable by another sandbox. */
    public static final class Conflict extends RuntimeException {
        private final String volumeId;
        private final String holder;

        public Conflict(String volumeId, String holder) {
            super("sandbox volume " + volumeId + " is already mounted writable by sandbox " + holder);
            this.volumeId = volumeId;
            this.holder = holder;
        }

        public String volumeId() {
            return volumeId;
        }

        public String holder() {
            return holder;
        }
    }

    private final Jdbi jdbi;

    public VolumeMounts(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    /**
     * Records {@code sandboxId}'s mounts; fails with {@link Conflict} (recording none) if a writable one names a
     * volume another sandbox holds, or a read-only one names a volume another holds writable.
     */
    public void claim(String sandboxId, List<Mount> mounts) {
        // One server drives a store (its advisory lock), so an in-process lock serialises the check and insert.
        synchronized (this) {
            claimLocked(sandboxId, mounts);
        }
    }

    private void claimLocked(String sandboxId, List<Mount> mounts) {
        jdbi.useTransaction(h -> {
            for (Mount m : mounts) {
                List<Mount> others = h.createQuery("SELECT volume_id, sandbox_id, mount_point, read_only, created_at"
                                + " FROM volume_mounts WHERE volume_id = :volume AND sandbox_id <> :sandbox")
                        .bind("volume", m.volumeId()).bind("sandbox", sandboxId).map(VolumeMounts::map).list();
                for (Mount other : others) {
                    if (!m.readOnly() || !other.readOnly()) {
                        throw new Conflict(m.volumeId(), other.sandboxId());
                    }
                }
                h.createUpdate("INSERT INTO volume_mounts (volume_id, sandbox_id, mount_point, read_only, created_at)"
                                + " VALUES (:volume, :sandbox, :point, :ro, :created)")
                        .bind("volume", m.volumeId()).bind("sandbox", sandboxId).bind("point", m.mountPoint())
                        .bind("ro", m.readOnly()).bind("created", m.createdAt().toEpochMilli()).execute();
            }
        });
    }

    public List<Mount> ofSandbox(String sandboxId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT volume_id, sandbox_id, mount_point, read_only, created_at"
                        + " FROM volume_mounts WHERE sandbox_id = :sandbox ORDER BY mount_point")
                .bind("sandbox", sandboxId).map(VolumeMounts::map).list());
    }

    public List<Mount> ofVolume(String volumeId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT volume_id, sandbox_id, mount_point, read_only, created_at"
                        + " FROM volume_mounts WHERE volume_id = :volume ORDER BY created_at, sandbox_id")
                .bind("volume", volumeId).map(VolumeMounts::map).list());
    }

    /** Volumes some sandbox holds writable (running or paused). */
    public List<String> writableVolumes() {
        return jdbi.withHandle(h -> h.createQuery("SELECT DISTINCT volume_id FROM volume_mounts WHERE read_only = :ro")
                .bind("ro", false).mapTo(String.class).list());
    }

    /** Drops a deleted sandbox's holds. */
    public void release(String sandboxId) {
        jdbi.useHandle(h -> h.createUpdate("DELETE FROM volume_mounts WHERE sandbox_id = :sandbox")
                .bind("sandbox", sandboxId).execute());
    }

    /** Drops every hold on a volume ({@code force} delete of orphan records). */
    public void releaseVolume(String volumeId) {
        jdbi.useHandle(h -> h.createUpdate("DELETE FROM volume_mounts WHERE volume_id = :volume")
                .bind("volume", volumeId).execute());
    }

    private static Mount map(java.sql.ResultSet rs, org.jdbi.v3.core.statement.StatementContext ctx)
            throws java.sql.SQLException {
        return new Mount(rs.getString("volume_id"), rs.getString("sandbox_id"), rs.getString("mount_point"),
                rs.getBoolean("read_only"), Instant.ofEpochMilli(rs.getLong("created_at")));
    }
}
