package ai.sandbox0.node.runtime;

import ai.sandbox0.node.IdMap;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The id map a run's upper dir was written with, kept on its disk: a checkpoint, even one taken after a
 * restart of the node or from a run reconcile found lost, shifts the files back to container ids with it.
 */
public final class RunIds {

    private RunIds() {
    }

    public static void write(SandboxLayout layout, String id, IdMap ids) throws IOException {
        Path target = layout.idMapFile(id);
        Path tmp = target.resolveSibling("ids.tmp");
        Files.writeString(tmp, ids.hostBase() + " " + ids.size() + "\n");
        Files.move(tmp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** Empty for an upper dir written without a user namespace (its ids are the container's already). */
    public static Optional<IdMap> read(SandboxLayout layout, String id) throws IOException {
        Path file = layout.idMapFile(id);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        String[] f = Files.readString(file).strip().split(" ");
        try {
            return Optional.of(new IdMap(Long.parseLong(f[0]), Long.parseLong(f[1])));
        } catch (RuntimeException e) {
            throw new IOException(file + " is damaged: " + e.getMessage(), e);
        }
    }
}
