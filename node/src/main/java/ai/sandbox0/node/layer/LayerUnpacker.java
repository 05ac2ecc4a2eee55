package ai.sandbox0.node.layer;

import ai.sandbox0.node.Digest;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Extracts a layer (tar, tar+gzip or tar+zstd, told apart by magic) into a directory that overlayfs
 * can use as a lower dir: {@code .wh.<name>} becomes a character device 0/0, {@code .wh..wh..opq}
 * becomes {@code trusted.overlay.opaque=y} on its directory.
 *
 * <p>A layer is untrusted input. Every entry is resolved under the root component by component
 * without following symlinks: absolute names, {@code ..}, and parents that are symlinks (placed by
 * an earlier entry to point elsewhere) are refused, as are hardlinks outside the root, device
 * nodes (unless allowed) and archives over the size limits. Extract into a fresh directory and
 * publish it only on success ({@link LayerCache} does); a refused layer leaves a half tree behind.
 */
public final class LayerUnpacker {

    private final UnpackOptions options;

    public LayerUnpacker() {
        this(UnpackOptions.DEFAULT);
    }

    public LayerUnpacker(UnpackOptions options) {
        this.options = options;
    }

    /** Extracts {@code blob} into {@code root}, which must be missing or empty. */
    public UnpackResult unpack(InputStream blob, Path root) throws IOException {
        Files.createDirectories(root);
        try (DirectoryStream<Path> existing = Files.newDirectoryStream(root)) {
            if (existing.iterator().hasNext()) {
                throw new IOException("unpack layer: target " + root + " is not empty");
            }
        }
        MessageDigest sha = Digest.newSha256();
        try (InputStream tar = new BufferedInputStream(new DigestInputStream(LayerCompression.decompress(blob), sha), 1 << 16)) {
            var extraction = new Extraction(root, new TarReader(tar));
            extraction.run();
            tar.transferTo(OutputStream.nullOutputStream()); // the diffID covers the trailing padding too
            return new UnpackResult(Digest.of(sha), extraction.entries, extraction.bytes);
        }
    }

    private final class Extraction {

        private final Path root;
        private final TarReader reader;
        /** Directories known to exist as real directories (not symlinks), relative to root. */
        private final TreeSet<String> directories = new TreeSet<>();
        private final List<Map.Entry<Path, Instant>> directoryTimes = new ArrayList<>();
        long entries;
        long bytes;

        Extraction(Path root, TarReader reader) {
            this.root = root;
            this.reader = reader;
            directories.add("");
        }

        void run() throws IOException {
            TarEntry entry;
            while ((entry = reader.next()) != null) {
                if (++entries > options.maxEntries()) {
                    throw new UnsafeLayerException(entry.name(), "more than " + options.maxEntries() + " entries");
                }
                extract(entry);
            }
            // Creating children changed directory mtimes; restore them last.
            for (var dt : directoryTimes.reversed()) {
                Posix.lutimes(dt.getKey(), dt.getValue().getEpochSecond(), dt.getValue().getNano());
            }
        }

        private void extract(TarEntry entry) throws IOException {
            String rel = clean(entry.name(), entry.name());
            if (rel.isEmpty()) {
                if (entry.type() != TarEntry.Type.DIRECTORY) {
                    throw new UnsafeLayerException(entry.name(), "the layer root must be a directory");
                }
                metadata(root, entry);
                return;
            }
            int slash = rel.lastIndexOf('/');
            String parentRel = slash < 0 ? "" : rel.substring(0, slash);
            String base = rel.substring(slash + 1);
            Path parent = directory(parentRel, entry.name());

            if (base.equals(LayerExporter.OPAQUE_MARKER)) {
                Posix.lsetxattr(parent, "trusted.overlay.opaque", new byte[] {'y'});
                return;
            }
            if (base.startsWith(".wh..wh.")) {
                return; // aufs bookkeeping (.wh..wh.plnk and friends), meaningless to overlayfs
            }
            if (base.startsWith(LayerExporter.WHITEOUT_PREFIX)) {
                String hidden = base.substring(LayerExporter.WHITEOUT_PREFIX.length());
                if (hidden.isEmpty() || hidden.equals(".") || hidden.equals("..")) {
                    throw new UnsafeLayerException(entry.name(), "whiteout of '" + hidden + "'");
                }
                Path target = parent.resolve(hidden);
                replace(target, parentRel.isEmpty() ? hidden : parentRel + "/" + hidden);
                Posix.mknodChar(target, 0, 0, 0);
                return;
            }

            Path target = parent.resolve(base);
            var existing = Inode.lstat(target);
            boolean keepDirectory = existing.isPresent() && existing.get().isDirectory()
                    && entry.type() == TarEntry.Type.DIRECTORY;
            if (existing.isPresent() && !keepDirectory) {
                replace(target, rel); // a later entry for the same name wins, as with tar
            }
            switch (entry.type()) {
                case DIRECTORY -> {
                    if (!keepDirectory) {
                        Files.createDirectory(target);
                    }
                    directories.add(rel);
                }
                case FILE -> {
                    bytes += entry.size();
                    if (bytes > options.maxBytes()) {
                        throw new UnsafeLayerException(entry.name(), "layer holds more than " + options.maxBytes() + " bytes");
                    }
                    try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW,
                            StandardOpenOption.WRITE)) {
                        long copied = reader.content().transferTo(out);
                        if (copied != entry.size()) {
                            throw new IOException("unpack layer: entry " + entry.name() + " is truncated");
                        }
                    }
                }
                case SYMLINK -> {
                    if (entry.linkName().isEmpty() || entry.linkName().indexOf('\0') >= 0) {
                        throw new UnsafeLayerException(entry.name(), "symlink without a valid target");
                    }
                    Files.createSymbolicLink(target, Path.of(entry.linkName()));
                }
                case HARDLINK -> {
                    Path source = existingNonDirectory(clean(entry.linkName(), entry.name()), entry.name());
                    Files.createLink(target, source);
                    return; // the inode already has its metadata
                }
                case CHAR_DEVICE, BLOCK_DEVICE -> {
                    boolean whiteout = entry.type() == TarEntry.Type.CHAR_DEVICE && entry.devMajor() == 0 && entry.devMinor() == 0;
                    if (!options.allowDevices() && !whiteout) { // 0/0 is no device: some tools write whiteouts so
                        throw new UnsafeLayerException(entry.name(), "device nodes are not allowed in layers");
                    }
                    int type = entry.type() == TarEntry.Type.CHAR_DEVICE ? Posix.S_IFCHR : Posix.S_IFBLK;
                    Posix.mknod(target, type | (entry.mode() & 07777), entry.devMajor(), entry.devMinor());
                }
                case FIFO -> Posix.mknod(target, Posix.S_IFIFO | (entry.mode() & 07777), 0, 0);
            }
            metadata(target, entry);
        }

        /** Owner first: chown clears setuid and setgid, so the mode must come after it. */
        private void metadata(Path path, TarEntry entry) throws IOException {
            Posix.lchown(path, (int) entry.uid(), (int) entry.gid());
            if (entry.type() != TarEntry.Type.SYMLINK) {
                Posix.chmod(path, entry.mode());
            }
            for (var x : entry.xattrs().entrySet()) {
                String name = x.getKey();
                if (name.startsWith("trusted.overlay.") || name.startsWith("user.overlay.") || name.equals("security.selinux")) {
                    continue; // overlay markers come only from whiteout entries; labels from the host
                }
                Posix.lsetxattr(path, name, x.getValue());
            }
            if (entry.type() == TarEntry.Type.DIRECTORY) {
                directoryTimes.add(Map.entry(path, entry.mtime()));
            } else {
                Posix.lutimes(path, entry.mtime().getEpochSecond(), entry.mtime().getNano());
            }
        }

        /** Walks to directory {@code rel} under root, creating missing ones, refusing symlinks. */
        private Path directory(String rel, String entryName) throws IOException {
            if (directories.contains(rel)) {
                return rel.isEmpty() ? root : root.resolve(rel);
            }
            Path current = root;
            String prefix = "";
            for (String part : rel.split("/")) {
                prefix = prefix.isEmpty() ? part : prefix + "/" + part;
                current = current.resolve(part);
                if (directories.contains(prefix)) {
                    continue;
                }
                var node = Inode.lstat(current);
                if (node.isEmpty()) {
                    Files.createDirectory(current);
                } else if (node.get().kind() == Inode.Kind.SYMLINK) {
                    throw new UnsafeLayerException(entryName, "parent '" + prefix + "' is a symlink");
                } else if (!node.get().isDirectory()) {
                    throw new UnsafeLayerException(entryName, "parent '" + prefix + "' is not a directory");
                }
                directories.add(prefix);
            }
            return current;
        }

        private Path existingNonDirectory(String rel, String entryName) throws IOException {
            if (rel.isEmpty()) {
                throw new UnsafeLayerException(entryName, "hardlink to the layer root");
            }
            int slash = rel.lastIndexOf('/');
            Path parent = directory(slash < 0 ? "" : rel.substring(0, slash), entryName);
            Path source = parent.resolve(rel.substring(slash + 1));
            var node = Inode.lstat(source);
            if (node.isEmpty()) {
                throw new UnsafeLayerException(entryName, "hardlink to '" + rel + "', which is not in the layer");
            }
            if (node.get().isDirectory()) {
                throw new UnsafeLayerException(entryName, "hardlink to directory '" + rel + "'");
            }
            return source;
        }

        /** Removes whatever is at {@code path} (a whole tree for a directory). */
        private void replace(Path path, String rel) throws IOException {
            var node = Inode.lstat(path);
            if (node.isEmpty()) {
                return;
            }
            if (node.get().isDirectory()) {
                deleteTree(path);
                directories.remove(rel);
                directories.subSet(rel + "/", rel + "0").clear(); // '0' sorts right after '/'
            } else {
                Files.delete(path);
            }
        }
    }

    /** A relative name with {@code .} and empty parts dropped; absolute names and {@code ..} refused. */
    static String clean(String name, String entryName) throws UnsafeLayerException {
        if (name.indexOf('\0') >= 0) {
            throw new UnsafeLayerException(entryName, "NUL in path");
        }
        if (name.startsWith("/")) {
            throw new UnsafeLayerException(entryName, "absolute path");
        }
        var parts = new ArrayList<String>();
        for (String part : name.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                throw new UnsafeLayerException(entryName, "path traversal ('..')");
            }
            if (part.getBytes(StandardCharsets.UTF_8).length > 255) {
                throw new UnsafeLayerException(entryName, "path component longer than 255 bytes");
            }
            parts.add(part);
        }
        return String.join("/", parts);
    }

    /**
     * Deletes a tree without following symlinks and without crossing into another filesystem: a
     * mount left inside (a crashed build's /proc, a bind of /dev) is refused, never emptied.
     */
    public static void deleteTree(Path path) throws IOException {
        var node = Inode.lstat(path);
        if (node.isPresent()) {
            deleteTree(path, node.get().dev());
        }
    }

    private static void deleteTree(Path path, long device) throws IOException {
        var node = Inode.lstat(path);
        if (node.isEmpty()) {
            return;
        }
        if (node.get().isDirectory()) {
            if (node.get().dev() != device) {
                throw new IOException("delete " + path + ": a different filesystem is mounted there; unmount it first");
            }
            try (DirectoryStream<Path> children = Files.newDirectoryStream(path)) {
                for (Path child : children) {
                    deleteTree(child, device);
                }
            }
        }
        Files.deleteIfExists(path);
    }
}
