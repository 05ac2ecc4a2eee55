package ai.sandbox0.node.layer;

import static org.assertj.core.api.Assertions.assertThat;

import ai.sandbox0.api.Json;
import ai.sandbox0.node.Digest;
import ai.sandbox0.node.LayerChain;
import ai.sandbox0.node.LayerDescriptor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LayerChainTest {

    @Test
    void squashMergesOnlyTheTopLayersAndKeepsTheBase() throws Exception {
        var chain = LayerChain.of(layer(1), layer(2), layer(3), layer(4), layer(5));
        var calls = new ArrayList<List<LayerChain>>();
        LayerMerger merger = (below, top) -> {
            calls.add(List.of(below, top));
            return layer(99);
        };
        assertThat(chain.squash(5, merger)).isSameAs(chain);
        assertThat(calls).isEmpty();

        var squashed = chain.squash(3, merger);
        assertThat(squashed.layers()).containsExactly(layer(1), layer(2), layer(99));
        assertThat(calls.getFirst().get(0).layers()).containsExactly(layer(1), layer(2));
        assertThat(calls.getFirst().get(1).layers()).containsExactly(layer(3), layer(4), layer(5));
    }

    @Test
    void aChainIsStoredAsAListOfOciDescriptorsAndReadBackWhole() throws Exception {
        var chain = LayerChain.of(layer(1), new LayerDescriptor(layer(2).digest(), null, 2, LayerDescriptor.TAR));

        String json = Json.writeString(chain);
        assertThat(json).startsWith("[{\"digest\":\"sha256:").contains("\"diff_id\":\"sha256:", "\"media_type\":")
                .doesNotContain("empty");
        assertThat(Json.mapper().readValue(json, LayerChain.class)).isEqualTo(chain);
    }

    static LayerDescriptor layer(int n) {
        return new LayerDescriptor(Digest.of(new byte[] {(byte) n}), Digest.of(new byte[] {(byte) n, 0}), n,
                LayerDescriptor.TAR_ZSTD);
    }
}
