package ai.sandbox0.server.sandbox;

import ai.sandbox0.api.Json;
import ai.sandbox0.node.LayerChain;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.UncheckedIOException;

/** Layer chains as the store keeps them: a JSON list of OCI descriptors, lowest first. */
final class RootfsChains {

    private RootfsChains() {
    }

    static String toJson(LayerChain chain) {
        return Json.writeString(chain);
    }

    static LayerChain fromJson(String json) {
        try {
            return Json.mapper().readValue(json, LayerChain.class);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException("rootfs chain in the store is not readable", e);
        }
    }
}
