package ai.sandbox0.server.volume;

import ai.sandbox0.server.domain.KeyedLocks;
import java.io.IOException;
import java.time.Instant;
import java.util.Optional;

/**
 * What keeps volumes beyond the node that holds them (their seals in the object store), as the volume service
 * sees it: told of every change, it decides when to seal; it holds a volume still around a restore or a delete;
 * at start it rebuilds what the node lost.
 */
public interface VolumeDurability {


    /** A new volume, made from nothing, from a snapshot's state or from another volume's (a fork). */
    void created(String volumeId, Optional<String> fromSnapshot, Optional<String> fromVolume);

    /** The volume's files changed through the file API. */
    void changed(String volumeId);

    /** A sandbox that held the volume writable is gone: its last writes should be sealed now. */
    void letGo(String volumeId);

    /** The API took a snapshot of the volume at or after {@code takenAt} (a wall-clock time read before). */
    void snapshotTaken(String volumeId, String snapshotId, Instant takenAt);

    /** Runs {@code work} (a restore or a delete) with no seal of the volume under way or starting. */
    <T> T exclusive(String volumeId, KeyedLocks.Work<T, IOException> work) throws IOException;

    /** Called within {@link #exclusive}: the volume's state is the snapshot's again. */
    void restored(String volumeId, String snapshotId);

    /** Called within {@link #exclusive}: the volume is gone. */
    void deleted(String volumeId);

    /** Rebuilds on this node the ready volume or snapshot it lacks; false when nothing sealed can (logged). */
    boolean rebuildVolume(VolumeRecord volume) throws IOException;

    boolean rebuildSnapshot(VolumeSnapshotRecord snapshot) throws IOException;

    /** At start, once the store is settled: every ready volume and snapshot, to seal what a stop left unsealed. */
    void recovered(java.util.List<VolumeRecord> volumes, java.util.List<VolumeSnapshotRecord> snapshots);

    /** Kept only on this node: nothing outlives it. */
    VolumeDurability NODE_ONLY = new VolumeDurability() {
        @Override
        public void created(String volumeId, Optional<String> fromSnapshot, Optional<String> fromVolume) {
        }

        @Override
        public void changed(String volumeId) {
        }

        @Override
        public void letGo(String volumeId) {
        }

        @Override
        public void snapshotTaken(String volumeId, String snapshotId, Instant takenAt) {
        }

        @Override
        public <T> T exclusive(String volumeId, KeyedLocks.Work<T, IOException> work) throws IOException {
            return work.run();
        }

        @Override
        public void restored(String volumeId, String snapshotId) {
        }

        @Override
        public void deleted(String volumeId) {
        }

        @Override
        public boolean rebuildVolume(VolumeRecord volume) {
            return false;
        }

        @Override
        public boolean rebuildSnapshot(VolumeSnapshotRecord snapshot) {
            return false;
        }

        @Override
        public void recovered(java.util.List<VolumeRecord> volumes, java.util.List<VolumeSnapshotRecord> snapshots) {
        }
    };
}
