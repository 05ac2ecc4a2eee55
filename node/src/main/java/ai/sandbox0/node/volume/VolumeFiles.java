package ai.sandbox0.node.volume;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;
import java.util.List;

/**
 * File operations on one volume from the host, confined to it: every path is resolved inside the volume's
 * root ({@code openat2} with {@code RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS}), so a symbolic link a sandbox
 * planted ({@code /x -> /etc/shadow}, {@code ../../..}) resolves inside the volume, never on the host.
 * Paths are logical and absolute ({@code /a/b}); a path that is not absolute or holds a NUL is an
 * {@link IllegalArgumentException}. Failures use the JDK's exceptions: NoSuchFileException,
 * FileAlreadyExistsException, NotDirectoryException, DirectoryNotEmptyException, AccessDeniedException
 * (read-only), {@link VolumeFullException}. Files and directories made here belong to {@code uid:gid}.
 */
public final class VolumeFiles {

    /** Files under {@code root} (a directory the caller trusts), made with owner {@code uid:gid}. */
    public static VolumeFiles at(Path root, long uid, long gid, boolean readOnly) {
        throw new UnsupportedOperationException("skeleton");
    }

    /** {@code lstat} of the path. */
    public VolumeEntry stat(String path) throws IOException {
        throw new UnsupportedOperationException("skeleton");
    }

    /** The directory's direct children, by name. */
    public List<VolumeEntry> list(String path) throws IOException {
        throw new UnsupportedOperationException("skeleton");
    }

    /** Opens a regular file for reading (a symbolic link is followed inside the volume). */
    public SeekableByteChannel read(String path) throws IOException {
        throw new UnsupportedOperationException("skeleton");
    }

    /**
     * Replaces the file's content by {@code body} (at most {@code maxBytes}, else IOException before more is
     * written), creating missing parent directories; returns the bytes written.
     */
    public long write(String path, InputStream body, long maxBytes) throws IOException {
        throw new UnsupportedOperationException("skeleton");
    }

    /** Makes a directory (with its parents when {@code recursive}); FileAlreadyExistsException if it exists. */
    public void mkdir(String path, boolean recursive) throws IOException {
        throw new UnsupportedOperationException("skeleton");
    }

    /** Deletes a file, link or directory with everything in it. NoSuchFileException if absent. */
    public void delete(String path) throws IOException {
        throw new UnsupportedOperationException("skeleton");
    }

    /** Renames {@code source} to {@code destination} (replacing a file there). */
    public void move(String source, String destination) throws IOException {
        throw new UnsupportedOperationException("skeleton");
    }

    /** Unpacks a tar stream under {@code path} (created if missing); regular files overwrite. Not atomic. */
    public ArchiveCounts importTar(String path, InputStream tar, ArchiveLimits limits) throws IOException {
        throw new UnsupportedOperationException("skeleton");
    }

    /** Sum of the sizes of the regular files (what the volume holds, logically). */
    public long logicalBytes() throws IOException {
        throw new UnsupportedOperationException("skeleton");
    }
}
