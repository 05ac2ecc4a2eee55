package ai.sandbox0.server.sandbox;

import ai.sandbox0.api.Json;
import ai.sandbox0.node.blob.Digest;
import ai.sandbox0.node.layer.LayerChain;
import ai.sandbox0.node.layer.LayerDescriptor;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;

/** Layer chains as the store keeps them: a JSON list of OCI descriptors, lowest first. */
final class RootfsChains {

    private RootfsChains() {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    record Stored(String digest, String diffId, long size, String mediaType) {
    }

    static String toJson(LayerChain chain) {
        return Json.writeString(chain.layers().stream()
                .map(l -> new Stored(l.digest().toString(), l.diffId() == null ? null : l.diffId().toString(), l.size(),
                        l.mediaType()))
                .toList());
    }

    static LayerChain fromJson(String json) {
        try {
            List<LayerDescriptor> layers = Arrays.stream(Json.mapper().readValue(json, Stored[].class))
                    .map(s -> new LayerDescriptor(Digest.parse(s.digest()), s.diffId() == null ? null : Digest.parse(s.diffId()),
                            s.size(), s.mediaType()))
                    .toList();
            return new LayerChain(layers);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("rootfs chain in the store is not readable", e);
        }
    }
}
