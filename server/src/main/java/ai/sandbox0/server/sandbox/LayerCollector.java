package ai.sandbox0.server.sandbox;

import ai.sandbox0.node.blob.Digest;
import ai.sandbox0.node.image.NodeStorage;
import ai.sandbox0.node.layer.LayerDescriptor;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Garbage collection of rootfs layers: a blob no sandbox chain, snapshot or image references any more
 * is deleted once it is older than a grace period (a checkpoint may have written it and not yet
 * recorded its chain), and extracted layers no run has used for a while leave the node's cache.
 */
public final class LayerCollector {

    private static final Logger LOG = LoggerFactory.getLogger(LayerCollector.class);

    private final SandboxStore store;
    private final NodeStorage storage;
    private final Clock clock;
    private final Duration grace;

    public LayerCollector(SandboxStore store, NodeStorage storage, Clock clock, Duration grace) {
        this.store = store;
        this.storage = storage;
        this.clock = clock;
        this.grace = grace;
    }

    /** One pass; returns the blobs it deleted. Safe to run at any time. */
    public Set<Digest> collect() throws IOException {
        var keep = new HashSet<Digest>();
        for (String chain : store.referencedChains()) {
            for (LayerDescriptor layer : RootfsChains.fromJson(chain).layers()) {
                keep.add(layer.digest());
            }
        }
        keep.addAll(storage.images().referencedLayers());
        Instant cutoff = clock.instant().minus(grace);
        var deleted = new HashSet<Digest>();
        for (Digest digest : storage.blobs().list()) {
            if (!keep.contains(digest) && storage.blobs().lastWritten(digest).isBefore(cutoff)
                    && storage.blobs().delete(digest)) {
                deleted.add(digest);
            }
        }
        storage.layers().gc(grace);
        if (!deleted.isEmpty()) {
            LOG.info("layer gc: deleted {} unreferenced blobs", deleted.size());
        }
        return deleted;
    }
}
