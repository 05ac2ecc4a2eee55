package ai.sandbox0.server.sandbox;

import ai.sandbox0.node.LayerChain;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Garbage collection of rootfs layers: the store says which chains sandboxes and snapshots still
 * reference; the host deletes every other blob older than a grace period (a checkpoint may have
 * written it and not yet recorded its chain) and drops extracted layers no run used for a while.
 */
public final class LayerCollector {

    private static final Logger LOG = LoggerFactory.getLogger(LayerCollector.class);

    private final SandboxStore store;
    private final SandboxHost host;
    private final Duration grace;

    public LayerCollector(SandboxStore store, SandboxHost host, Duration grace) {
        this.store = store;
        this.host = host;
        this.grace = grace;
    }

    /** One pass; returns how many blobs it deleted. Safe to run at any time. */
    public int collect() throws IOException {
        List<LayerChain> referenced = new ArrayList<>();
        for (String chain : store.referencedChains()) {
            referenced.add(RootfsChains.fromJson(chain));
        }
        int deleted = host.collectLayers(referenced, grace);
        if (deleted > 0) {
            LOG.info("layer gc: deleted {} unreferenced blobs", deleted);
        }
        return deleted;
    }
}
