package ai.sandbox0.node.layer;

import ai.sandbox0.node.LayerChain;
import ai.sandbox0.node.LayerDescriptor;
import java.io.IOException;

/**
 * Merges layers by reading their extracted directories from the {@link LayerCache} and writing one
 * layer with the {@link LayerExporter}; use it with {@link LayerChain#squash}.
 */
public final class LayerSquasher implements LayerMerger {

    private final LayerCache cache;
    private final LayerExporter exporter;

    public LayerSquasher(LayerCache cache, LayerExporter exporter) {
        this.cache = cache;
        this.exporter = exporter;
    }

    @Override
    public LayerDescriptor merge(LayerChain below, LayerChain layers) throws IOException {
        if (layers.depth() == 1) {
            return layers.layers().getFirst();
        }
        try (LayerLease lease = cache.acquire(below.plus(layers))) {
            var dirs = lease.directories();
            return exporter.merge(dirs.subList(below.depth(), dirs.size()), dirs.subList(0, below.depth()));
        }
    }
}
