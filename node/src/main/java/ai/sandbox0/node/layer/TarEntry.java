package ai.sandbox0.node.layer;

import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One member of a tar stream. {@code name} is relative, with {@code /} separators and no trailing
 * slash; {@code linkName} is the symlink target or the hardlink's earlier member. Xattr values are
 * raw bytes (a file capability is binary), kept sorted by name so output is deterministic.
 */
public record TarEntry(String name, Type type, int mode, long uid, long gid, long size, Instant mtime,
        String linkName, int devMajor, int devMinor, SortedMap<String, byte[]> xattrs) {

    public enum Type {
        FILE('0'), HARDLINK('1'), SYMLINK('2'), CHAR_DEVICE('3'), BLOCK_DEVICE('4'), DIRECTORY('5'), FIFO('6');

        final char flag;

        Type(char flag) {
            this.flag = flag;
        }
    }

    public TarEntry {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(mtime, "mtime");
        linkName = linkName == null ? "" : linkName;
        xattrs = xattrs == null ? new TreeMap<>() : new TreeMap<>(xattrs);
        if (type != Type.FILE && size != 0) {
            throw new IllegalArgumentException("tar entry " + name + ": only regular files have content");
        }
    }

    public static TarEntry file(String name, int mode, long size, Instant mtime) {
        return new TarEntry(name, Type.FILE, mode, 0, 0, size, mtime, "", 0, 0, null);
    }

    public static TarEntry directory(String name, int mode, Instant mtime) {
        return new TarEntry(name, Type.DIRECTORY, mode, 0, 0, 0, mtime, "", 0, 0, null);
    }

    public static TarEntry symlink(String name, String target, Instant mtime) {
        return new TarEntry(name, Type.SYMLINK, 0777, 0, 0, 0, mtime, target, 0, 0, null);
    }

    public static TarEntry hardlink(String name, String target) {
        return new TarEntry(name, Type.HARDLINK, 0, 0, 0, 0, Instant.EPOCH, target, 0, 0, null);
    }

    public TarEntry withOwner(long newUid, long newGid) {
        return new TarEntry(name, type, mode, newUid, newGid, size, mtime, linkName, devMajor, devMinor, xattrs);
    }

    public TarEntry withXattrs(Map<String, byte[]> newXattrs) {
        return new TarEntry(name, type, mode, uid, gid, size, mtime, linkName, devMajor, devMinor, new TreeMap<>(newXattrs));
    }

    /** The last path component. */
    public String baseName() {
        int slash = name.lastIndexOf('/');
        return slash < 0 ? name : name.substring(slash + 1);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof TarEntry other)) {
            return false;
        }
        if (!name.equals(other.name) || type != other.type || mode != other.mode || uid != other.uid
                || gid != other.gid || size != other.size || !mtime.equals(other.mtime)
                || !linkName.equals(other.linkName) || devMajor != other.devMajor || devMinor != other.devMinor
                || !xattrs.keySet().equals(other.xattrs.keySet())) {
            return false;
        }
        return xattrs.entrySet().stream().allMatch(e -> Arrays.equals(e.getValue(), other.xattrs.get(e.getKey())));
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type, mode, uid, gid, size, mtime, linkName, devMajor, devMinor, xattrs.keySet());
    }
}
