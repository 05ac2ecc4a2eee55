package ai.sandbox0.node.layer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/** What {@code lstat} says about one path: enough to write it as a tar entry or compare trees. */
public record Inode(Kind kind, int mode, int uid, int gid, long size, Instant mtime, long dev, long ino, int nlink,
        long rdev) {

    public enum Kind { FILE, DIRECTORY, SYMLINK, CHAR_DEVICE, BLOCK_DEVICE, FIFO, SOCKET }

    private static final String ATTRIBUTES = "unix:mode,uid,gid,size,lastModifiedTime,dev,ino,nlink,rdev";

    /** The path itself (never a symlink's target); empty when nothing is there. */
    public static Optional<Inode> lstat(Path path) throws IOException {
        Map<String, Object> a;
        try {
            a = Files.readAttributes(path, ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        int mode = (Integer) a.get("mode");
        return Optional.of(new Inode(kindOf(mode, path), mode & 07777, (Integer) a.get("uid"), (Integer) a.get("gid"),
                (Long) a.get("size"), ((FileTime) a.get("lastModifiedTime")).toInstant(), (Long) a.get("dev"),
                (Long) a.get("ino"), (Integer) a.get("nlink"), (Long) a.get("rdev")));
    }

    public static Inode require(Path path) throws IOException {
        return lstat(path).orElseThrow(() -> new NoSuchFileException(path.toString()));
    }

    private static Kind kindOf(int mode, Path path) throws IOException {
        return switch (mode & 0170000) {
            case 0100000 -> Kind.FILE;
            case 0040000 -> Kind.DIRECTORY;
            case 0120000 -> Kind.SYMLINK;
            case 0020000 -> Kind.CHAR_DEVICE;
            case 0060000 -> Kind.BLOCK_DEVICE;
            case 0010000 -> Kind.FIFO;
            case 0140000 -> Kind.SOCKET;
            default -> throw new IOException("lstat " + path + ": unknown file type in mode " + Integer.toOctalString(mode));
        };
    }

    /** An overlayfs whiteout: a character device 0/0. */
    public boolean isWhiteout() {
        return kind == Kind.CHAR_DEVICE && rdev == 0;
    }

    public boolean isDirectory() {
        return kind == Kind.DIRECTORY;
    }

    public int major() {
        return Posix.major(rdev);
    }

    public int minor() {
        return Posix.minor(rdev);
    }
}
