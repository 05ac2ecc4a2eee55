package ai.sandbox0.server.volume.seal;

import ai.sandbox0.node.volume.VolumePool;
import ai.sandbox0.server.volume.seal.VolumeManifest.Entry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds a volume (or a snapshot) on this node from its sealed manifest in the object store, when the node's
 * copy is gone: a new node, or a node whose volume pool was lost. It writes into a subvolume nothing else can
 * see yet, so plain file operations are safe there; a marker file beside the pool says a rebuild is under way,
 * and a crash in the middle is undone (the half-built subvolume deleted) and started again.
 */
public final class VolumeMaterializer {

    private static final Logger LOG = LoggerFactory.getLogger(VolumeMaterializer.class);

    private final VolumePool pool;
    private final VolumeObjects objects;
    private final Path markers;

    /** @param markers a directory of this node's own (not in the pool) for the in-progress markers */
    public VolumeMaterializer(VolumePool pool, VolumeObjects objects, Path markers) throws IOException {
        this.pool = pool;
        this.objects = objects;
        this.markers = Files.createDirectories(markers);
    }

    /** Undoes rebuilds a crash interrupted; call at start, before anything uses the pool. */
    public void undoInterrupted() throws IOException {
        try (var stale = Files.list(markers)) {
            for (Path marker : stale.toList()) {
                String id = marker.getFileName().toString();
                LOG.warn("volume {}: a rebuild from the object store was interrupted; starting it over", id);
                pool.deleteVolume(id);
                Files.delete(marker);
            }
        }
    }

    /** Makes volume {@code volumeId} (absent from the pool) hold the state {@code manifest} describes. */
    public void volume(String volumeId, String manifest) throws IOException {
        long started = System.nanoTime();
        VolumeManifest state = objects.manifest(manifest);
        Path marker = markers.resolve(volumeId);
        Files.writeString(marker, manifest);
        Entry root = state.entries().getFirst();
        pool.create(volumeId, root.uid(), root.gid());
        fill(pool.root(volumeId), state.entries());
        Files.delete(marker);
        LOG.info("volume {}: rebuilt from the object store ({} entries) in {} ms", volumeId, state.entries().size(),
                (System.nanoTime() - started) / 1_000_000);
    }

    /** Makes the read-only snapshot {@code snapshotId} (absent from the pool) from its manifest. */
    public void snapshot(String snapshotId, String manifest) throws IOException {
        String scratch = "m-" + snapshotId;
        volume(scratch, manifest);
        try {
            pool.snapshot(scratch, snapshotId);
        } finally {
            pool.deleteVolume(scratch);
        }
    }

    private void fill(Path root, List<Entry> entries) throws IOException {
        for (Entry e : entries) {
            if (e.path().equals("/")) {
                continue;
            }
            Path at = at(root, e.path());
            switch (e.type()) {
                case DIRECTORY -> Files.createDirectory(at);
                case SYMLINK -> Files.createSymbolicLink(at, Path.of(e.target()));
                case FILE -> {
                    try (OutputStream out = Files.newOutputStream(at, StandardOpenOption.CREATE_NEW,
                            StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                        for (String chunk : e.chunks()) {
                            try (InputStream in = objects.chunk(chunk)) {
                                in.transferTo(out);
                            }
                        }
                    }
                }
            }
        }
        // Owners, modes and times last, children before parents: writing into a directory changes its time.
        for (Entry e : entries.reversed()) {
            Path at = e.path().equals("/") ? root : at(root, e.path());
            Files.setAttribute(at, "unix:uid", (int) e.uid(), LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(at, "unix:gid", (int) e.gid(), LinkOption.NOFOLLOW_LINKS);
            if (e.type() != VolumeManifest.Type.SYMLINK) {
                Files.setAttribute(at, "unix:mode", e.mode(), LinkOption.NOFOLLOW_LINKS);
            }
            Files.getFileAttributeView(at, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .setTimes(FileTime.from(e.modified()), null, null);
        }
    }

    /** The entry's place under {@code root}; the manifest's own paths, which never hold {@code ..} or empty names. */
    private static Path at(Path root, String path) throws IOException {
        Path at = root;
        for (String name : path.substring(1).split("/")) {
            if (name.isEmpty() || name.equals(".") || name.equals("..")) {
                throw new IOException("volume manifest path " + path + " is not a plain path");
            }
            at = at.resolve(name);
        }
        return at;
    }
}
