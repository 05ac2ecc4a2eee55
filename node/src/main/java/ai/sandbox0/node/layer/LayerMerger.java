package ai.sandbox0.node.layer;

import ai.sandbox0.node.LayerChain;
import ai.sandbox0.node.LayerDescriptor;
import java.io.IOException;

/** Turns a chain of layers into one layer with the same merged view. See {@link LayerSquasher}. */
@FunctionalInterface
public interface LayerMerger {

    /** One layer that, on top of {@code below}, shows what {@code layers} on top of {@code below} show. */
    LayerDescriptor merge(LayerChain below, LayerChain layers) throws IOException;
}
