package ai.sandbox0.node.volume;

import java.io.IOException;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The node's volumes: one btrfs filesystem (a sparse image on a loop device under {@code dir}) with a
 * subvolume per volume ({@code vols/<id>}) and a read-only subvolume per snapshot ({@code snaps/<id>}).
 * Fork and snapshot are subvolume snapshots through ioctls, so they cost the same for any size; restore
 * swaps subvolumes atomically ({@code RENAME_EXCHANGE}); each volume may carry a simple-quota limit.
 *
 * <p>Ids are the caller's (UUIDs); every operation is idempotent where the spec makes it so and survives
 * {@code kill -9} at any point ({@link #open} finishes or undoes what a crash interrupted). Thread-safe;
 * operations on one volume are serialised.
 */
public final class VolumePool implements AutoCloseable {

    /** Attaches the pool in {@code dir}, making it the first time; {@code maxBytes} is the image's sparse size. */
    public static VolumePool open(Path dir, long maxBytes) throws IOException {
        throw new UnsupportedOperationException("skeleton");
    }

    /** A new empty volume whose root belongs to {@code uid:gid}. Fails with FileAlreadyExistsException if it exists. */
    public void create(String volumeId, long uid, long gid) throws IOException {
        throw new UnsupportedOperationException("skeleton");
    }

    /** A writable copy-on-write copy of the volume's current state (flushed first). NoSuchFileException if no source. */
    public void fork(String sourceVolumeId, String newVolumeId) throws IOException {
        throw new UnsupportedOperationException("skeleton");
    }

    /** A read-only snapshot of the volume's current state (flushed first). */
    public void snapshot(String volumeId, String snapshotId) throws IOException {
        throw new UnsupportedOperationException("skeleton");
    }

    /** A new writable volume holding the snapshot's state. */
    public void createFromSnapshot(String snapshotId, String newVolumeId) throws IOException {
        throw new UnsupportedOperationException("skeleton");
    }

    /** Replaces the volume's state by the snapshot's; {@link VolumeBusyException} while it is mounted. */
    public void restore(String volumeId, String snapshotId) throws IOException {
        throw new UnsupportedOperationException("skeleton");
    }

    /** Removes the volume; {@link VolumeBusyException} while mounted; an unknown id is already gone. */
    public void deleteVolume(String volumeId) throws IOException {
        throw new UnsupportedOperationException("skeleton");
    }

    /** Removes the snapshot; an unknown id is already gone. */
    public void deleteSnapshot(String snapshotId) throws IOException {
        throw new UnsupportedOperationException("skeleton");
    }

    public boolean exists(String volumeId) {
        throw new UnsupportedOperationException("skeleton");
    }

    public boolean snapshotExists(String snapshotId) {
        throw new UnsupportedOperationException("skeleton");
    }

    /** Bounds what the volume may hold on the node (writes past it fail with EDQUOT); empty removes the bound. */
    public void limit(String volumeId, OptionalLong bytes) throws IOException {
        throw new UnsupportedOperationException("skeleton");
    }

    /** Whether some mount (a sandbox's) shows the volume now. */
    public boolean mounted(String volumeId) {
        throw new UnsupportedOperationException("skeleton");
    }

    /** The volume's files, every path confined to it. NoSuchFileException for an unknown volume. */
    public VolumeFiles files(String volumeId) throws IOException {
        throw new UnsupportedOperationException("skeleton");
    }

    /** The snapshot's files, read-only. */
    public VolumeFiles snapshotFiles(String snapshotId) throws IOException {
        throw new UnsupportedOperationException("skeleton");
    }

    /** Where the volume's subvolume is on the host: for the node's own mounts only, never resolved by path. */
    public Path root(String volumeId) {
        throw new UnsupportedOperationException("skeleton");
    }

    @Override
    public void close() {
        throw new UnsupportedOperationException("skeleton");
    }
}
