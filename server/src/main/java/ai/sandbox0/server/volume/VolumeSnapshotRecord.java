package ai.sandbox0.server.volume;

import ai.sandbox0.api.volume.Snapshot;
import java.time.Instant;

/**
 * A stored volume snapshot. Only {@link State#READY} ones are shown; the others mark an operation a crash
 * may have interrupted, undone or finished at startup. {@code createdAt} has second precision, as upstream
 * writes it.
 */
public record VolumeSnapshotRecord(String id, String volumeId, String teamId, String name, String description,
        State state, long sizeBytes, Instant createdAt, Instant expiresAt) {

    public enum State { CREATING, READY, DELETING }

    public Snapshot view() {
        return new Snapshot(id, volumeId, name, description, sizeBytes, createdAt, expiresAt);
    }

    public VolumeSnapshotRecord ready(long size) {
        return new VolumeSnapshotRecord(id, volumeId, teamId, name, description, State.READY, size, createdAt, expiresAt);
    }
}
