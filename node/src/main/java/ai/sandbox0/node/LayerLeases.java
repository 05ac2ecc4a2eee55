package ai.sandbox0.node;

import ai.sandbox0.node.image.NodeStorage;
import ai.sandbox0.node.layer.LayerLease;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The extracted layers each holder keeps: a sandbox run (its id), or a warm pool ({@code pool:<id>})
 * for the template chain its idle sandboxes are started on. A holder has at most one lease; taking a
 * new one releases the old, and releasing forgets the holder, so the map holds only live holders.
 */
final class LayerLeases implements AutoCloseable {

    private final NodeStorage storage;
    private final Map<String, LayerLease> byHolder = new ConcurrentHashMap<>();

    LayerLeases(NodeStorage storage) {
        this.storage = storage;
    }

    /** Extracts {@code chain} if needed and holds it for {@code holder}; returns its dirs, lowest first. */
    List<Path> acquire(String holder, LayerChain chain) throws IOException {
        LayerLease lease = storage.layers().acquire(chain);
        LayerLease previous = byHolder.put(holder, lease);
        if (previous != null) {
            previous.close();
        }
        return dirsOf(lease);
    }

    /**
     * The chain behind the layer dirs some holder was given: a pool sandbox is started on its pool's
     * dirs and must record the chain they came from to be checkpointed later.
     */
    Optional<LayerChain> chainOf(List<Path> dirs) {
        return byHolder.values().stream().filter(l -> dirsOf(l).equals(dirs)).map(LayerLease::chain).findFirst();
    }

    void release(String holder) {
        LayerLease lease = byHolder.remove(holder);
        if (lease != null) {
            lease.close();
        }
    }

    int size() {
        return byHolder.size();
    }

    private static List<Path> dirsOf(LayerLease lease) {
        return lease.directories().isEmpty() ? lease.lowerDirs() : lease.directories();
    }

    @Override
    public void close() {
        byHolder.values().forEach(LayerLease::close);
        byHolder.clear();
    }
}
