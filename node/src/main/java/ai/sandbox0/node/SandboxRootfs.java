package ai.sandbox0.node;

import ai.sandbox0.api.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The layer chain a sandbox's root was stacked from, kept beside its state ({@code chain.json}) so a
 * checkpoint after a stop, or after a crash and restart of the node, knows what the upper dir sits on.
 */
record SandboxRootfs(List<LayerDescriptor> layers) {

    /** Paths the runtime mounts over (or creates as mount points) in every root: never part of a checkpoint. */
    static final Set<String> RUNTIME_PATHS = Set.of("opt/sandbox0", "etc/hostname", "etc/hosts", "etc/resolv.conf");

    static SandboxRootfs of(LayerChain chain) {
        return new SandboxRootfs(chain.layers());
    }

    LayerChain chain() {
        return new LayerChain(layers);
    }

    void write(Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, Json.write(this));
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    static Optional<SandboxRootfs> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        return Optional.of(Json.mapper().readValue(Files.readAllBytes(file), SandboxRootfs.class));
    }
}
