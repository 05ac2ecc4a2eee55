package ai.sandbox0.node.layer;

import ai.sandbox0.node.Digest;
import ai.sandbox0.node.IdMap;
import ai.sandbox0.node.LayerDescriptor;
import ai.sandbox0.node.blob.Blob;
import ai.sandbox0.node.blob.BlobStore;
import ai.sandbox0.node.blob.BlobUpload;
import com.github.luben.zstd.ZstdOutputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns overlayfs upper directories into OCI layers ({@code tar+zstd}) in a {@link BlobStore}.
 *
 * <p>An upper dir records a run's changes in overlay's own notation: a deleted path is a character
 * device 0/0, a directory that hides everything below it carries {@code trusted.overlay.opaque=y}.
 * The layer says the same in OCI notation: {@code .wh.<name>} and {@code <dir>/.wh..wh..opq}. An
 * extracted layer ({@link LayerUnpacker}) uses overlay notation again, so {@link #merge} can fold
 * several of them into one with the same rules.
 *
 * <p>Entries are sorted by name and carry no atime or owner names, so the same tree always yields
 * the same digest. Files stream from disk through the compressor into the store; nothing is held
 * in memory. Mount upper dirs with {@code redirect_dir=off,metacopy=off}: a redirect or metacopy
 * upper refers to lower data a layer cannot carry, and is refused here.
 */
public final class LayerExporter {

    private static final Logger log = LoggerFactory.getLogger(LayerExporter.class);

    public static final String OPAQUE_MARKER = ".wh..wh..opq";
    public static final String WHITEOUT_PREFIX = ".wh.";

    private final BlobStore blobs;
    private final int level;
    private final int workers;

    /** zstd level 3 on up to four threads: the fast end of the curve, since pauses wait on this. */
    public LayerExporter(BlobStore blobs) {
        this(blobs, 3, Math.clamp(Runtime.getRuntime().availableProcessors(), 1, 4));
    }

    /**
     * @param workers zstd threads, at least 1: zstd's output is the same for any worker count
     *     from 1 up (but differs from 0), so digests do not depend on the machine
     */
    public LayerExporter(BlobStore blobs, int level, int workers) {
        if (workers < 1) {
            throw new IllegalArgumentException("zstd workers must be at least 1 for machine-independent digests");
        }
        this.blobs = blobs;
        this.level = level;
        this.workers = workers;
    }

    /** Exports the changes in {@code upperDir} of a stopped container. */
    public LayerDescriptor export(Path upperDir) throws IOException {
        return export(upperDir, Set.of());
    }

    /**
     * Like {@link #export(Path)}, leaving out {@code excluded} paths (relative, such as
     * {@code "procd"}): mount points the runtime put there that are not the sandbox's files.
     */
    public LayerDescriptor export(Path upperDir, Set<String> excluded) throws IOException {
        return write(List.of(upperDir), null, excluded, null, "export upper dir " + upperDir);
    }

    /**
     * Like {@link #export(Path, Set)} for an upper dir written in a user namespace: owners (and the root id
     * of file capabilities) are shifted from the host ids of {@code ids} back to the container's, so the
     * layer means the same under any run's id map. A host id outside the map becomes {@link IdMap#OVERFLOW}.
     */
    public LayerDescriptor export(Path upperDir, Set<String> excluded, IdMap ids) throws IOException {
        return write(List.of(upperDir), null, excluded, ids, "export upper dir " + upperDir);
    }

    /**
     * Merges extracted layers (lowest first) into one layer that, stacked on {@code below} (the
     * extracted layers under them, lowest first), shows the same tree as all of them stacked.
     * A deletion becomes a whiteout only where {@code below} has something to hide: overlayfs lists
     * whiteouts as entries in a directory that exists in one layer only.
     */
    public LayerDescriptor merge(List<Path> layerDirs, List<Path> below) throws IOException {
        return write(layerDirs, below, Set.of(), null, "merge " + layerDirs.size() + " layers");
    }

    private LayerDescriptor write(List<Path> lowestFirst, List<Path> below, Set<String> excluded, IdMap ids,
            String what) throws IOException {
        for (Path dir : lowestFirst) {
            if (!Files.isDirectory(dir)) {
                throw new IOException(what + ": " + dir + " is not a directory");
            }
        }
        long started = System.nanoTime();
        MessageDigest diff = Digest.newSha256();
        Blob blob;
        long entries;
        long tarSize;
        try (BlobUpload upload = blobs.upload()) {
            var zstd = new ZstdOutputStream(new BufferedOutputStream(upload.stream(), 1 << 16), level);
            zstd.setWorkers(workers);
            zstd.setChecksum(true);
            try (OutputStream tarOut = new BufferedOutputStream(new DigestOutputStream(zstd, diff), 1 << 16)) {
                var tar = new TarWriter(tarOut);
                var walk = new Walk(tar, below == null ? null : below.reversed(), normalize(excluded), ids, what);
                walk.directory("", lowestFirst.reversed(), true);
                tar.finish();
                entries = walk.entries;
                tarSize = tar.written();
            }
            blob = upload.commit();
        }
        var layer = new LayerDescriptor(blob.digest(), Digest.of(diff), blob.size(), LayerDescriptor.TAR_ZSTD);
        log.info("{}: layer {} with {} entries, {} bytes tar, {} bytes zstd, in {} ms", what, layer.digest().shortHex(),
                entries, tarSize, blob.size(), (System.nanoTime() - started) / 1_000_000);
        return layer;
    }

    private static Set<String> normalize(Set<String> excluded) {
        var result = new TreeSet<String>();
        for (String path : excluded) {
            String p = path;
            while (p.startsWith("/")) {
                p = p.substring(1);
            }
            while (p.endsWith("/")) {
                p = p.substring(0, p.length() - 1);
            }
            if (!p.isEmpty()) {
                result.add(p);
            }
        }
        return result;
    }

    /** One traversal: tar output, hardlink memory and counters belong to it alone. */
    private static final class Walk {

        private final TarWriter tar;
        /** Layers under the output, top first; null when unknown (an upper dir over its own lowers). */
        private final List<Path> below;
        private final Set<String> excluded;
        private final String what;
        private final Map<String, String> firstNameOfInode = new HashMap<>();
        /** Host ids to shift back to container ids; null when the tree holds container ids. */
        private final IdMap ids;
        long entries;

        Walk(TarWriter tar, List<Path> below, Set<String> excluded, IdMap ids, String what) {
            this.tar = tar;
            this.ids = ids;
            this.below = below;
            this.excluded = excluded;
            this.what = what;
        }

        /**
         * Writes the children of directory {@code rel} as seen through {@code layers} (top first:
         * the layers in which this directory exists without being hidden from above).
         *
         * @param whiteoutsMatter false once an ancestor is opaque in the output: nothing below the
         *     output layer shows through there, so deletions need no marker
         */
        void directory(String rel, List<Path> layers, boolean whiteoutsMatter) throws IOException {
            var names = new TreeSet<String>();
            for (Path layer : layers) {
                try (DirectoryStream<Path> children = Files.newDirectoryStream(layer.resolve(rel))) {
                    for (Path child : children) {
                        names.add(child.getFileName().toString());
                    }
                }
            }
            for (String name : names) {
                String childRel = rel.isEmpty() ? name : rel + "/" + name;
                if (excluded.contains(childRel)) {
                    continue;
                }
                child(rel, name, childRel, layers, whiteoutsMatter);
            }
        }

        private void child(String parentRel, String name, String rel, List<Path> layers, boolean whiteoutsMatter)
                throws IOException {
            // The topmost layer holding the name decides what it is.
            int top = -1;
            Inode node = null;
            for (int i = 0; i < layers.size() && node == null; i++) {
                node = Inode.lstat(layers.get(i).resolve(rel)).orElse(null);
                top = i;
            }
            Path path = layers.get(top).resolve(rel);
            if (node.isWhiteout() || isXattrWhiteout(node, path)) {
                if (whiteoutsMatter && somethingBelow(rel)) {
                    String marker = parentRel.isEmpty() ? WHITEOUT_PREFIX + name : parentRel + "/" + WHITEOUT_PREFIX + name;
                    emit(TarEntry.file(marker, 0, 0, Instant.EPOCH), null);
                }
                return;
            }
            Map<String, byte[]> xattrs = keptXattrs(path);
            if (node.kind() == Inode.Kind.DIRECTORY) {
                // Layers below `top` contribute children until one hides what lies under it.
                var contributing = new ArrayList<Path>();
                boolean opaque = false;
                for (int i = top; i < layers.size(); i++) {
                    Path candidate = layers.get(i).resolve(rel);
                    var below = Inode.lstat(candidate).orElse(null);
                    if (below == null) {
                        continue;
                    }
                    if (!below.isDirectory()) {
                        opaque = true; // a file or whiteout here hides the directories underneath
                        break;
                    }
                    contributing.add(layers.get(i));
                    if (isOpaque(candidate)) {
                        opaque = true;
                        break;
                    }
                }
                emit(entry(rel, TarEntry.Type.DIRECTORY, node, 0, "", xattrs), null);
                if (opaque && whiteoutsMatter) {
                    emit(TarEntry.file(rel + "/" + OPAQUE_MARKER, 0, 0, Instant.EPOCH), null);
                }
                directory(rel, contributing, whiteoutsMatter && !opaque);
                return;
            }
            switch (node.kind()) {
                case FILE -> {
                    if (node.nlink() > 1) {
                        String key = node.dev() + ":" + node.ino();
                        String first = firstNameOfInode.putIfAbsent(key, rel);
                        if (first != null) {
                            emit(TarEntry.hardlink(rel, first), null);
                            return;
                        }
                    }
                    try (InputStream content = Files.newInputStream(path)) {
                        emit(entry(rel, TarEntry.Type.FILE, node, node.size(), "", xattrs), content);
                    }
                }
                case SYMLINK -> emit(entry(rel, TarEntry.Type.SYMLINK, node, 0,
                        Files.readSymbolicLink(path).toString(), xattrs), null);
                case CHAR_DEVICE -> emit(device(rel, TarEntry.Type.CHAR_DEVICE, node, xattrs), null);
                case BLOCK_DEVICE -> emit(device(rel, TarEntry.Type.BLOCK_DEVICE, node, xattrs), null);
                case FIFO -> emit(entry(rel, TarEntry.Type.FIFO, node, 0, "", xattrs), null);
                case SOCKET -> log.debug("{}: skipping socket {}", what, rel); // tar cannot carry one
                case DIRECTORY -> throw new IllegalStateException("handled above");
            }
        }

        private boolean somethingBelow(String rel) throws IOException {
            if (below == null) {
                return true;
            }
            for (Path layer : below) {
                var node = Inode.lstat(layer.resolve(rel));
                if (node.isPresent()) {
                    return !node.get().isWhiteout();
                }
            }
            return false;
        }

        private void emit(TarEntry entry, InputStream content) throws IOException {
            tar.write(entry, content);
            entries++;
        }

        private TarEntry entry(String rel, TarEntry.Type type, Inode node, long size, String link,
                Map<String, byte[]> xattrs) {
            int mode = type == TarEntry.Type.SYMLINK ? 0777 : node.mode();
            return new TarEntry(rel, type, mode, id(node.uid()), id(node.gid()), size, node.mtime(), link, 0, 0,
                    shifted(xattrs));
        }

        private TarEntry device(String rel, TarEntry.Type type, Inode node, Map<String, byte[]> xattrs) {
            return new TarEntry(rel, type, node.mode(), id(node.uid()), id(node.gid()), 0, node.mtime(), "",
                    node.major(), node.minor(), shifted(xattrs));
        }

        private long id(int onDisk) {
            return ids == null ? Integer.toUnsignedLong(onDisk) : ids.toContainer(onDisk);
        }

        private TreeMap<String, byte[]> shifted(Map<String, byte[]> xattrs) {
            var out = new TreeMap<String, byte[]>(xattrs);
            byte[] caps = out.get(FileCapabilities.XATTR);
            if (ids != null && caps != null) {
                out.put(FileCapabilities.XATTR, FileCapabilities.toContainer(caps, ids));
            }
            return out;
        }

        private boolean isOpaque(Path dir) throws IOException {
            return isY(Posix.lgetxattr(dir, "trusted.overlay.opaque").orElse(null))
                    || isY(Posix.lgetxattr(dir, "user.overlay.opaque").orElse(null));
        }

        /** Newer kernels may mark a whiteout as an empty file with this xattr instead of a device. */
        private static boolean isXattrWhiteout(Inode node, Path path) throws IOException {
            return node.kind() == Inode.Kind.FILE && node.size() == 0
                    && (Posix.lgetxattr(path, "trusted.overlay.whiteout").isPresent()
                            || Posix.lgetxattr(path, "user.overlay.whiteout").isPresent());
        }

        private static boolean isY(byte[] value) {
            return value != null && value.length == 1 && value[0] == 'y';
        }

        /** The xattrs that belong to the file, not to overlayfs or to the host's security policy. */
        private Map<String, byte[]> keptXattrs(Path path) throws IOException {
            var names = Posix.llistxattr(path);
            if (names.isEmpty()) {
                return Map.of();
            }
            var kept = new TreeMap<String, byte[]>();
            for (String name : names) {
                if (name.equals("trusted.overlay.redirect") || name.equals("user.overlay.redirect")
                        || name.equals("trusted.overlay.metacopy") || name.equals("user.overlay.metacopy")) {
                    throw new IOException(what + ": " + path + " has " + name
                            + ": its data lives in a lower layer; mount overlays with redirect_dir=off,metacopy=off");
                }
                if (name.startsWith("trusted.overlay.") || name.startsWith("user.overlay.")
                        || name.equals("security.selinux")) {
                    continue;
                }
                Posix.lgetxattr(path, name).ifPresent(value -> kept.put(name, value));
            }
            return kept;
        }
    }
}
