package ai.sandbox0.node;

import ai.sandbox0.node.layer.LayerMerger;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The layers of a root filesystem, lowest first: an image's layers, then a sandbox's checkpoint
 * layers. Immutable; "adding" a checkpoint or squashing returns a new chain, so forks and
 * snapshots can share one safely.
 */
public record LayerChain(@JsonValue List<LayerDescriptor> layers) {

    public static final LayerChain EMPTY = new LayerChain(List.of());

    public LayerChain {
        layers = List.copyOf(layers);
    }

    /** Its JSON form is the list of its layers, lowest first. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static LayerChain fromJson(List<LayerDescriptor> layers) {
        return new LayerChain(layers);
    }

    public static LayerChain of(LayerDescriptor... layers) {
        return new LayerChain(List.of(layers));
    }

    public int depth() {
        return layers.size();
    }

    public boolean isEmpty() {
        return layers.isEmpty();
    }

    public Optional<LayerDescriptor> top() {
        return layers.isEmpty() ? Optional.empty() : Optional.of(layers.getLast());
    }

    /** This chain with {@code layer} on top; an empty layer (a checkpoint without changes) is skipped. */
    public LayerChain plus(LayerDescriptor layer) {
        if (layer.isEmpty()) {
            return this;
        }
        var next = new ArrayList<>(layers);
        next.add(layer);
        return new LayerChain(next);
    }

    /** This chain with all of {@code upper} on top. */
    public LayerChain plus(LayerChain upper) {
        var next = new ArrayList<>(layers);
        next.addAll(upper.layers);
        return new LayerChain(next);
    }

    /** The lowest {@code count} layers. */
    public LayerChain bottom(int count) {
        return new LayerChain(layers.subList(0, count));
    }

    /** Everything above the lowest {@code count} layers. */
    public LayerChain above(int count) {
        return new LayerChain(layers.subList(count, layers.size()));
    }

    /**
     * Keeps the chain at most {@code maxDepth} deep by merging its top layers into one: the lower
     * layers (image layers shared with other sandboxes) stay as they are. Returns this chain when
     * it is shallow enough.
     */
    public LayerChain squash(int maxDepth, LayerMerger merger) throws IOException {
        if (maxDepth < 1) {
            throw new IllegalArgumentException("squash depth must be at least 1, not " + maxDepth);
        }
        if (depth() <= maxDepth) {
            return this;
        }
        int keep = maxDepth - 1;
        LayerDescriptor merged = merger.merge(bottom(keep), above(keep));
        var next = new ArrayList<>(layers.subList(0, keep));
        next.add(merged);
        return new LayerChain(next);
    }
}
