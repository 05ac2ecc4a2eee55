package ai.sandbox0.node;

import java.nio.file.Path;

/**
 * A host directory (a volume's subvolume) shown at {@code mountPath} inside a sandbox through the run's id
 * map: a file stored as 1000:1000 is 1000:1000 inside, and what the sandbox creates is stored with its
 * container-side owners, so the host side and every sandbox agree on owners. Not part of the root
 * filesystem: a checkpoint never holds what is in it.
 *
 * @param source the host directory, absolute; resolved by the node, never by a caller's path
 * @param readOnly writes fail with EROFS inside
 */
public record VolumeBind(Path source, String mountPath, boolean readOnly) {

    public VolumeBind {
        if (source == null || !source.isAbsolute()) {
            throw new IllegalArgumentException("a volume's source must be an absolute host path: " + source);
        }
        if (mountPath == null || !mountPath.startsWith("/") || mountPath.equals("/")
                || !Path.of(mountPath).normalize().toString().equals(mountPath)) {
            throw new IllegalArgumentException("a volume's mount path must be a clean absolute path other than /: "
                    + mountPath);
        }
    }
}
