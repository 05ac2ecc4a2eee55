package ai.sandbox0.server.volume.seal;

import ai.sandbox0.node.volume.VolumePool;
import ai.sandbox0.server.domain.KeyedLocks;
import ai.sandbox0.server.volume.VolumeDurability;
import ai.sandbox0.server.volume.VolumeRecord;
import ai.sandbox0.server.volume.VolumeSnapshotRecord;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Volumes kept beyond the node by sealing them into the volume object store: new volumes and API snapshots are
 * sealed as soon as the background worker gets to them, changed and mounted volumes every interval, and a node
 * that lost its pool rebuilds volumes and snapshots from their last seal.
 */
public final class SealedVolumes implements VolumeDurability {

    private static final Logger LOG = LoggerFactory.getLogger(SealedVolumes.class);

    private final VolumePool pool;
    private final VolumeSealer sealer;
    private final VolumeSealing sealing;
    private final VolumeHeads heads;
    private final VolumeMaterializer materializer;

    public SealedVolumes(VolumePool pool, VolumeSealer sealer, VolumeSealing sealing, VolumeHeads heads,
            VolumeMaterializer materializer) {
        this.pool = pool;
        this.sealer = sealer;
        this.sealing = sealing;
        this.heads = heads;
        this.materializer = materializer;
    }

    @Override
    public void created(String volumeId, Optional<String> fromSnapshot, Optional<String> fromVolume) {
        Optional<String> basis = fromSnapshot.flatMap(heads::snapshotManifest)
                .or(() -> fromVolume.flatMap(heads::head).map(VolumeHeads.Head::manifest));
        sealing.copied(volumeId, basis);
        // "Sealed before every fork": the source's state as the fork saw it goes out too.
        fromVolume.ifPresent(source -> sealing.copied(source, Optional.empty()));
    }

    @Override
    public void changed(String volumeId) {
        sealing.changed(volumeId);
    }

    @Override
    public void letGo(String volumeId) {
        sealing.copied(volumeId, Optional.empty()); // sealed by the worker now, not at the next interval
    }

    @Override
    public void snapshotTaken(String volumeId, String snapshotId, Instant takenAt) {
        sealing.snapshotTaken(volumeId, snapshotId, takenAt);
    }

    @Override
    public <T> T exclusive(String volumeId, KeyedLocks.Work<T, IOException> work) throws IOException {
        ReentrantLock lock = sealer.lock(volumeId);
        lock.lock();
        try {
            return work.run();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void restored(String volumeId, String snapshotId) {
        Optional<String> manifest = heads.snapshotManifest(snapshotId);
        if (manifest.isPresent()) {
            sealer.restored(volumeId, manifest.get());
        } else {
            sealing.copied(volumeId, Optional.empty()); // the snapshot was not sealed yet: seal what is there now
        }
    }

    @Override
    public void deleted(String volumeId) {
        sealing.forget(volumeId);
        sealer.forget(volumeId);
    }

    @Override
    public void recovered(List<VolumeRecord> volumes, List<VolumeSnapshotRecord> snapshots) {
        volumes.forEach(v -> sealing.changed(v.id()));
        for (VolumeSnapshotRecord snapshot : snapshots) {
            if (heads.snapshotManifest(snapshot.id()).isEmpty() && pool.snapshotExists(snapshot.id())) {
                // Taken, then the server stopped before its seal: its row's time (whole seconds) is no later.
                sealing.snapshotTaken(snapshot.volumeId(), snapshot.id(), snapshot.createdAt());
            }
        }
    }

    @Override
    public boolean rebuildVolume(VolumeRecord volume) throws IOException {
        Optional<VolumeHeads.Head> head = heads.head(volume.id());
        if (head.isEmpty()) {
            LOG.error("volume {}: missing on this node and never sealed; its content is lost", volume.id());
            return false;
        }
        materializer.volume(volume.id(), head.get().manifest());
        pool.setOwner(volume.id(), volume.defaultPosixUid(), volume.defaultPosixGid());
        return true;
    }

    @Override
    public boolean rebuildSnapshot(VolumeSnapshotRecord snapshot) throws IOException {
        Optional<String> manifest = heads.snapshotManifest(snapshot.id());
        if (manifest.isEmpty()) {
            LOG.error("volume snapshot {}: missing on this node and never sealed; it is lost", snapshot.id());
            return false;
        }
        materializer.snapshot(snapshot.id(), manifest.get());
        return true;
    }
}
