package ai.sandbox0.server.volume.seal;

import ai.sandbox0.node.Digest;
import ai.sandbox0.node.blob.BlobStore;
import ai.sandbox0.node.blob.NoSuchBlobException;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Garbage collection of volume objects: keeps every manifest a volume head or a snapshot names and every
 * chunk those manifests list (a fork's manifests list its parent's chunks, so shared data stays while any user
 * of it does), and deletes the rest once older than a grace period: a seal in progress has stored chunks and
 * maybe a manifest that no head names yet.
 */
public final class VolumeObjectCollector {

    private static final Logger LOG = LoggerFactory.getLogger(VolumeObjectCollector.class);

    /** What one pass did. */
    public record Pass(int kept, int deleted, long deletedBytes) {
    }

    private final VolumeObjects objects;
    private final VolumeHeads heads;
    private final Duration grace;
    private final Clock clock;

    public VolumeObjectCollector(VolumeObjects objects, VolumeHeads heads, Duration grace, Clock clock) {
        this.objects = objects;
        this.heads = heads;
        this.grace = grace;
        this.clock = clock;
    }

    /** One pass; seals wait for it (and it for them). */
    public Pass collect() throws IOException {
        objects.collecting().lock();
        try {
            return collectLocked();
        } finally {
            objects.collecting().unlock();
        }
    }

    private Pass collectLocked() throws IOException {
        Instant cutoff = clock.instant().minus(grace);
        BlobStore store = objects.store();
        // Listed before the references are read: an object stored after the listing is not a candidate.
        var candidates = store.list();
        Set<String> keep = new HashSet<>();
        for (String manifest : heads.referencedManifests()) {
            keep.add(manifest);
            try {
                objects.manifest(manifest).chunks().forEach(keep::add);
            } catch (NoSuchBlobException e) {
                LOG.error("volume gc: manifest {} is referenced but missing from the object store", manifest);
            }
        }
        int kept = 0, deleted = 0;
        long bytes = 0;
        for (Digest digest : candidates) {
            if (keep.contains(digest.toString())) {
                kept++;
                continue;
            }
            try {
                if (store.lastWritten(digest).isAfter(cutoff)) {
                    kept++;
                    continue;
                }
                long size = store.size(digest);
                if (store.delete(digest)) {
                    deleted++;
                    bytes += size;
                }
            } catch (NoSuchBlobException gone) {
                // deleted meanwhile
            }
        }
        if (deleted > 0) {
            LOG.info("volume gc: deleted {} unreferenced objects ({} bytes), kept {}", deleted, bytes, kept);
        }
        return new Pass(kept, deleted, bytes);
    }
}
