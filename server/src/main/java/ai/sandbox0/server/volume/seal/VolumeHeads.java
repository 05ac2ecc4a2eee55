package ai.sandbox0.server.volume.seal;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jdbi.v3.core.Jdbi;

/** Each volume's newest sealed manifest, advanced by compare-and-set. */
public final class VolumeHeads {

    /** A volume's sealed state: the {@code seq}-th seal, its manifest's digest. */
    public record Head(String volumeId, long seq, String manifest, Instant sealedAt) {

        /** The store keeps milliseconds. */
        public Head {
            sealedAt = sealedAt.truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        }
    }

    private final Jdbi jdbi;

    public VolumeHeads(Jdbi jdbi) {
        this.jdbi = jdbi;
    }

    public Optional<Head> head(String volumeId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT volume_id, seq, manifest, sealed_at FROM volume_heads"
                        + " WHERE volume_id = :volume")
                .bind("volume", volumeId)
                .map((rs, ctx) -> new Head(rs.getString("volume_id"), rs.getLong("seq"), rs.getString("manifest"),
                        Instant.ofEpochMilli(rs.getLong("sealed_at"))))
                .findOne());
    }

    /**
     * Moves the head from {@code expectedSeq} (0: the volume has none yet) to {@code next}; false, changing
     * nothing, when someone else moved it first.
     */
    public boolean advance(String volumeId, long expectedSeq, Head next) {
        return jdbi.withHandle(h -> {
            if (expectedSeq == 0) {
                return h.createUpdate("INSERT INTO volume_heads (volume_id, seq, manifest, sealed_at)"
                                + " VALUES (:volume, :seq, :manifest, :at) ON CONFLICT (volume_id) DO NOTHING")
                        .bind("volume", volumeId).bind("seq", next.seq()).bind("manifest", next.manifest())
                        .bind("at", next.sealedAt().toEpochMilli()).execute() == 1;
            }
            return h.createUpdate("UPDATE volume_heads SET seq = :seq, manifest = :manifest, sealed_at = :at"
                            + " WHERE volume_id = :volume AND seq = :expected")
                    .bind("volume", volumeId).bind("seq", next.seq()).bind("manifest", next.manifest())
                    .bind("at", next.sealedAt().toEpochMilli()).bind("expected", expectedSeq).execute() == 1;
        });
    }

    public void delete(String volumeId) {
        jdbi.useHandle(h -> h.createUpdate("DELETE FROM volume_heads WHERE volume_id = :volume")
                .bind("volume", volumeId).execute());
    }

    /** Records the manifest of a volume snapshot and the logical size it measured. */
    public void setSnapshotManifest(String snapshotId, String manifest, long logicalBytes) {
        jdbi.useHandle(h -> h.createUpdate("UPDATE volume_snapshots SET manifest = :manifest, size_bytes = :size"
                        + " WHERE id = :id")
                .bind("id", snapshotId).bind("manifest", manifest).bind("size", logicalBytes).execute());
    }

    public Optional<String> snapshotManifest(String snapshotId) {
        return jdbi.withHandle(h -> h.createQuery("SELECT manifest FROM volume_snapshots WHERE id = :id")
                .bind("id", snapshotId).mapTo(String.class).findOne());
    }

    /** Every manifest a head or a snapshot names: what the object collector must keep, with their chunks. */
    public Set<String> referencedManifests() {
        return jdbi.withHandle(h -> {
            Set<String> all = new HashSet<>(h.createQuery("SELECT manifest FROM volume_heads").mapTo(String.class).list());
            List<String> snapshots = h.createQuery("SELECT manifest FROM volume_snapshots WHERE manifest IS NOT NULL")
                    .mapTo(String.class).list();
            all.addAll(snapshots);
            return all;
        });
    }
}
