package ai.sandbox0.node.volume;

import java.time.Instant;

/**
 * One file, directory or symbolic link of a volume, as {@code lstat} sees it.
 *
 * @param path the logical absolute path inside the volume
 * @param mode the permission bits (with setuid, setgid, sticky), not the type
 * @param linkTarget the link's target for a symbolic link, else null
 */
public record VolumeEntry(String name, String path, Kind kind, long size, int mode, Instant modified, long uid,
        long gid, String linkTarget) {

    public enum Kind { FILE, DIRECTORY, SYMLINK, OTHER }
}
